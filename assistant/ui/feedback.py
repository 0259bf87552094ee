"""The feedback log: one thumbs-up/down row per line in data_dir/feedback.jsonl, every field capped."""
from __future__ import annotations

from pathlib import Path

from assistant.ui.evidence import now_iso
from ingest.jsonl import append_jsonl
from ingest.settings import Settings

VERDICTS = ("up", "down")
# The longest text each field keeps: a client may send anything, the log must stay small.
FIELD_CAPS = {"question": 2000, "answer": 8000, "comment": 4000, "answerer": 64, "settings_digest": 64,
              "document": 200}
MAX_CITATIONS = 20


def _cap(value: object, name: str) -> str:
    """The value as text, cut to its field's cap."""
    return str(value if value is not None else "")[: FIELD_CAPS[name]]


def _page(value: object) -> int | None:
    """A page number, or None for anything that is not one."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def check_verdict(verdict: str) -> str:
    """The verdict itself when it is 'up' or 'down'; ValueError otherwise."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    return verdict


def feedback_row(settings: Settings, ans: dict, verdict: str, comment: str = "") -> dict:
    """The row for one verdict on an answer; ValueError for a verdict other than up/down."""
    check_verdict(verdict)
    cits = [c for c in ans.get("citations") or [] if isinstance(c, dict)][:MAX_CITATIONS]
    return {
        "time": now_iso(), "question": _cap(ans.get("question"), "question"),
        "answer": _cap(ans.get("answer"), "answer"), "verdict": verdict,
        "comment": _cap((comment or "").strip(), "comment"),
        "settings_digest": _cap(ans.get("settings_digest") or settings.digest(), "settings_digest"),
        "answerer": _cap(ans.get("answerer"), "answerer"), "abstained": bool(ans.get("abstained")),
        "citations": [{"document": _cap(c.get("doc_id"), "document"), "page": _page(c.get("page"))} for c in cits],
    }


def append_feedback(path: Path, settings: Settings, ans: dict, verdict: str, comment: str = "") -> dict:
    """Append one thumbs-up/down row to the feedback JSONL and return it."""
    row = feedback_row(settings, ans, verdict, comment)
    append_jsonl(path, row)
    return row
