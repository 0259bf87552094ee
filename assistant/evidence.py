"""Evidence packs (an answer with checkable citations, as Markdown and JSON) and the feedback log."""
from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
from pathlib import Path

from ingest.errors import CarbonQAError
from ingest.settings import Settings

_FEEDBACK_LOCK = threading.Lock()  # many queue workers may append at once; keep lines whole
VERDICTS = ("up", "down")


def _now() -> str:
    """UTC time in ISO 8601, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def load_answer(answer_json: str) -> dict:
    """Parse an answer JSON (as /ask returns it); a clear error when there is none yet."""
    if not answer_json or not str(answer_json).strip():
        raise CarbonQAError("there is no answer yet: ask a question first")
    try:
        ans = json.loads(answer_json) if isinstance(answer_json, str) else dict(answer_json)
    except (ValueError, TypeError):
        raise CarbonQAError("the answer is not valid JSON (pass what /ask returned)") from None
    if not isinstance(ans, dict) or "question" not in ans or "answer" not in ans:
        raise CarbonQAError("the answer JSON lacks 'question' and 'answer' (pass what /ask returned)")
    return ans


def evidence_pack(ans: dict, sha_by_doc: dict[str, str], settings: Settings) -> dict:
    """The pack as plain data: question, answer, each citation with its document's sha256, settings, time."""
    citations = [
        {
            "n": c["n"], "document": c["doc_id"], "title": c["title"], "version": c.get("version", ""),
            "sha256": sha_by_doc.get(c["doc_id"], ""), "page": c["page"], "page_label": c.get("page_label", ""),
            "section": c.get("section", ""), "quote": c["quote"], "score": c.get("score"),
        }
        for c in ans.get("citations", [])
    ]
    return {
        "question": ans["question"],
        "answer": ans["answer"],
        "abstained": bool(ans.get("abstained")),
        "citations": citations,
        "filters": ans.get("filters", {}),
        "searched_documents": ans.get("searched_documents", []),
        "settings": {"digest": ans.get("settings_digest", settings.digest()), "answerer": ans.get("answerer", ""),
                     "index_digest": settings.index_digest},
        "time": _now(),
    }


def pack_markdown(pack: dict) -> str:
    """The human-readable form of a pack, for pasting into a memo or ticket."""
    lines = ["# Evidence pack", "", f"**Question:** {pack['question']}", "",
             "**Answer" + (" (not in the corpus)" if pack["abstained"] else "") + ":**", "", pack["answer"], ""]
    if pack["filters"]:
        lines += ["**Filters:** " + "; ".join(f"{k} = {', '.join(map(str, v))}" for k, v in pack["filters"].items()), ""]
    lines += ["## " + ("Nearest passages" if pack["abstained"] else "Citations"), ""]
    for c in pack["citations"]:
        label = f" (printed {c['page_label']})" if c["page_label"] and c["page_label"] != str(c["page"]) else ""
        lines += [
            f"### [{c['n']}] {c['title']}" + (f", version {c['version']}" if c["version"] else ""),
            "",
            f"- document: `{c['document']}`",
            f"- sha256: `{c['sha256'] or 'unknown'}`",
            f"- page: {c['page']}{label}",
            f"- section: {c['section'] or '(none)'}",
            "",
            "> " + c["quote"].replace("\n", " "),
            "",
        ]
    s = pack["settings"]
    lines += ["## Settings", "", f"- settings digest: `{s['digest']}`", f"- index digest: `{s['index_digest']}`",
              f"- answerer: {s['answerer']}", f"- time: {pack['time']}", ""]
    return "\n".join(lines)


def write_pack(pack: dict, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write evidence.md and evidence.json into a fresh folder (the system temp dir by default)."""
    base = Path(tempfile.mkdtemp(prefix="carbonqa-evidence-", dir=out_dir))
    md, js = base / "evidence.md", base / "evidence.json"
    md.write_text(pack_markdown(pack), encoding="utf-8")
    js.write_text(json.dumps(pack, ensure_ascii=False, indent=2), encoding="utf-8")
    return md, js


def append_feedback(path: Path, settings: Settings, ans: dict, verdict: str, comment: str = "") -> dict:
    """Append one thumbs-up/down row to the feedback JSONL (data_dir/feedback.jsonl) and return it."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    row = {
        "time": _now(), "question": ans.get("question", ""), "answer": ans.get("answer", ""),
        "verdict": verdict, "comment": (comment or "").strip()[:4000],
        "settings_digest": ans.get("settings_digest") or settings.digest(), "answerer": ans.get("answerer", ""),
        "abstained": bool(ans.get("abstained")),
        "citations": [{"document": c["doc_id"], "page": c["page"]} for c in ans.get("citations", [])],
    }
    with _FEEDBACK_LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row
