"""Evidence packs: an answer this server issued, with checkable citations, as Markdown and JSON.

Only answers the server signed can become a pack: the pack stamps each citation with the real
document's sha256 and the index digest, so an answer edited on the client (a made-up quote, a
moved page) must never get that stamp.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from ingest.errors import CarbonQAError
from ingest.settings import Settings

SIGNATURE = "signature"  # the key an issued answer carries its HMAC under


class ForgedAnswer(CarbonQAError):
    """An answer that this server did not issue, or that was changed after it was issued."""


def now_iso() -> str:
    """UTC time in ISO 8601, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class AnswerSigner:
    """HMAC-SHA256 over an answer's canonical JSON, keyed by a secret that lives as long as the process.

    A per-process key means answers from before a restart are refused too: the server only
    vouches for what it can still stand behind, and no key ever needs to be stored.
    """

    def __init__(self, key: bytes | None = None):
        self._key = key or secrets.token_bytes(32)

    def _mac(self, ans: dict) -> str:
        """The HMAC of every field but the signature itself."""
        body = {k: v for k, v in ans.items() if k != SIGNATURE}
        payload = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def sign(self, ans: dict) -> dict:
        """The answer with its signature added."""
        return {**ans, SIGNATURE: self._mac(ans)}

    def verify(self, ans: dict) -> dict:
        """The answer itself when its signature is this server's; ForgedAnswer otherwise."""
        sig = ans.get(SIGNATURE)
        if not isinstance(sig, str) or not hmac.compare_digest(sig, self._mac(ans)):
            raise ForgedAnswer(
                "this answer was not issued by this server, or was changed after it was issued: its quotes "
                "cannot be vouched for. Ask the question again and export or rate the new answer."
            )
        return ans


def load_answer(answer_json: str | dict) -> dict:
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
    """The pack as plain data: question, answer, each citation with its document's sha256, settings, time.

    `ans` must be a verified answer (AnswerSigner.verify): the sha256 stamp vouches for its quotes.
    """
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
        "confidence": ans.get("confidence"),  # P(the corpus answers), from the answerability model
        "citations": citations,
        "evidence": ans.get("evidence", []),  # the best-scored sentences with their P(states the answer)
        "obligations": ans.get("obligations", []),  # register rows matching a question about a duty or permission
        "filters": ans.get("filters", {}),
        "searched_documents": ans.get("searched_documents", []),
        "settings": {"digest": ans.get("settings_digest", settings.digest()), "answerer": ans.get("answerer", ""),
                     "index_digest": settings.index_digest},
        "time": now_iso(),
    }


def pack_markdown(pack: dict) -> str:
    """The human-readable form of a pack, for pasting into a memo or ticket."""
    lines = ["# Evidence pack", "", f"**Question:** {pack['question']}", "",
             "**Answer" + (" (not in the corpus)" if pack["abstained"] else "") + ":**", "", pack["answer"], ""]
    if pack.get("confidence") is not None:
        lines += [f"**Confidence** (probability that the documents answer this): {pack['confidence']:.2f}", ""]
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
    if pack.get("evidence"):
        lines += ["## Sentence evidence", "", "| P(states the answer) | document | page | sentence |", "|---|---|---|---|"]
        lines += [f"| {e['p']:.2f} | `{e['doc_id']}` | {e['page']} | {e['text'].replace('|', '/')} |"
                  for e in pack["evidence"]]
        lines.append("")
    if pack.get("obligations"):
        lines += ["## In the obligations register", "", "| modality | actor | by when | document | page | obligation |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {o['modality']} | {o['actor']} | {o.get('deadline') or ''} | `{o['doc_id']}` | {o['page']} | "
                  f"{o['quote'].replace('|', '/')} |" for o in pack["obligations"]]
        lines.append("")
    s = pack["settings"]
    lines += ["## Settings", "", f"- settings digest: `{s['digest']}`", f"- index digest: `{s['index_digest']}`",
              f"- answerer: {s['answerer']}", f"- time: {pack['time']}", ""]
    return "\n".join(lines)


def write_pack(pack: dict, out_dir: Path) -> tuple[Path, Path]:
    """Write evidence.md and evidence.json into out_dir (a folder of its own per pack)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / "evidence.md", out_dir / "evidence.json"
    md.write_text(pack_markdown(pack), encoding="utf-8")
    js.write_text(json.dumps(pack, ensure_ascii=False, indent=2), encoding="utf-8")
    return md, js
