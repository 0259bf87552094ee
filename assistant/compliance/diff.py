"""Section diffs between two versions of a document: changed, added and removed sections, with quotes."""
from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

from assistant.retrieval.views import DocView, doc_views

SAME = 1.0  # difflib ratio at or above which a section counts as unchanged (any edit shows)


@dataclass
class Change:
    """One provision that was added, removed or changed between two versions."""

    kind: str  # added | removed | changed
    section: str
    old: str
    new: str
    old_page: int | None
    new_page: int | None
    ratio: float

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def _sections(view: DocView) -> dict[str, tuple[str, int]]:
    """Section path (numbers and titles, minus the document's own title) -> (text, first page)."""
    bounds = view.sec_offs + [len(view.text)]
    out: dict[str, tuple[str, int]] = {}
    if view.sec_offs and view.sec_offs[0] > 0:
        out[""] = (view.text[: view.sec_offs[0]].strip(), view.page_at(0))
    for a, b, path in zip(bounds, bounds[1:], view.secs):
        body = view.text[a:b].strip()
        prev = out.get(path)
        out[path] = ((prev[0] + "\n" + body) if prev else body, prev[1] if prev else view.page_at(a))
    return {k: v for k, v in out.items() if v[0]}


def diff_views(old: DocView, new: DocView, same: float = SAME) -> list[Change]:
    """Changed, added and removed provisions, matched by section path in document order."""
    a, b = _sections(old), _sections(new)
    changes: list[Change] = []
    for path, (text, page) in b.items():
        if path not in a:
            changes.append(Change("added", path, "", text, None, page, 0.0))
            continue
        otext, opage = a[path]
        if " ".join(otext.split()) == " ".join(text.split()):
            continue
        ratio = difflib.SequenceMatcher(None, otext, text, autojunk=False).ratio()
        if ratio < same:
            changes.append(Change("changed", path, otext, text, opage, page, round(ratio, 3)))
    for path, (text, page) in a.items():
        if path not in b:
            changes.append(Change("removed", path, text, "", page, None, 0.0))
    return changes


def changed_sentences(old: str, new: str) -> tuple[list[str], list[str]]:
    """Lines only in the old text and lines only in the new text (the quotes a diff shows)."""
    ol, nl = old.splitlines(), new.splitlines()
    gone, added = [], []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, ol, nl, autojunk=False).get_opcodes():
        if op in ("replace", "delete"):
            gone += [x.strip() for x in ol[a0:a1] if x.strip()]
        if op in ("replace", "insert"):
            added += [x.strip() for x in nl[b0:b1] if x.strip()]
    return gone, added


def diff_documents(store, old_id: str, new_id: str) -> list[Change]:
    """Diff two ingested documents by section path, from the store's active chunks."""
    from ingest.errors import CarbonQAError

    _ids, texts, metas = store.all_chunks()
    keep = [(t, m) for t, m in zip(texts, metas) if m["doc_id"] in (old_id, new_id)]
    views = doc_views([t for t, _ in keep], [m for _, m in keep])
    missing = [d for d in (old_id, new_id) if d not in views]
    if missing:
        raise CarbonQAError(f"not in the index: {', '.join(missing)} (see `carbonqa corpus list`)")
    return diff_views(views[old_id], views[new_id])
