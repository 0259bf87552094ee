"""Document versions: the supersession graph from the manifest and the versions in force on a date."""
from __future__ import annotations

import datetime as dt

from ingest.manifest import DocumentEntry


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
