"""Document versions: the supersession graph from the manifest, in-force sets, and section diffs."""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import asdict, dataclass

from assistant.definitions import DocView, doc_views
from ingest.manifest import DocumentEntry

SAME = 1.0  # difflib ratio at or above which a section counts as unchanged (any edit shows)


def supersession(entries: list[DocumentEntry]) -> dict[str, list[str]]:
    """doc id -> ids of the documents that supersede it (directly)."""
    known = {e.id for e in entries}
    out: dict[str, list[str]] = {}
    for e in entries:
        for old in e.supersedes:
            if old in known:
                out.setdefault(old, []).append(e.id)
    return out


def in_force(entries: list[DocumentEntry], as_of: dt.date | None = None) -> set[str]:
    """Ids in force on `as_of` (default today): published by then and not superseded by then."""
    as_of = as_of or dt.date.today()
    by_id = {e.id: e for e in entries}
    published = {e.id for e in entries if e.date is None or e.date <= as_of}
    superseded = {
        old for old, news in supersession(entries).items()
        if any(n in published for n in news if by_id[n].date is None or by_id[n].date <= as_of)
    }
    return published - superseded


def latest(entries: list[DocumentEntry], doc_id: str, as_of: dt.date | None = None) -> str:
    """The newest id reachable from doc_id along 'superseded by' edges (published by `as_of`, if given)."""
    by_id = {e.id: e for e in entries}
    graph = {old: [n for n in news if as_of is None or by_id[n].date is None or by_id[n].date <= as_of]
             for old, news in supersession(entries).items()}
    cur, seen = doc_id, {doc_id}
    while graph.get(cur):
        nxt = max(graph[cur], key=lambda i: by_id[i].date or dt.date.min)
        if nxt in seen:
            break
        seen.add(nxt)
        cur = nxt
    return cur


def label_citations(citations: list, entries: list[DocumentEntry], as_of: dt.date | None = None) -> list[str]:
    """One warning per cited document not in force on `as_of` (today): superseded, or not yet published."""
    day = as_of or dt.date.today()
    force = in_force(entries, day)
    by_id = {e.id: e for e in entries}
    out = []
    for doc_id in dict.fromkeys(c.doc_id for c in citations):
        entry = by_id.get(doc_id)
        if entry is None or doc_id in force:
            continue
        if entry.date is not None and entry.date > day:
            out.append(f"[{doc_id}] was not yet published on {day.isoformat()} (dated {entry.date.isoformat()})")
        else:
            out.append(f"[{doc_id}] is superseded; the version in force is {latest(entries, doc_id, day)}")
    return out


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
