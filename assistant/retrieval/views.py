"""Document views: each document's text rebuilt from its indexed chunks, with page and section by offset.

Built from the index (`Store.all_chunks()` or the BM25 side's texts), never by re-reading PDFs;
the glossary, the section diff and the obligations register all read documents this way.
"""
from __future__ import annotations

import bisect
import json
from dataclasses import dataclass


@dataclass
class DocView:
    """A document's text rebuilt from its chunks, with page and section lookup by offset."""

    doc_id: str
    title: str
    version: str
    text: str
    page_offs: list[int]
    pages: list[int]
    sec_offs: list[int]
    secs: list[str]

    def page_at(self, pos: int) -> int:
        """Physical page number at an offset."""
        i = bisect.bisect_right(self.page_offs, pos) - 1
        return self.pages[i] if i >= 0 else (self.pages[0] if self.pages else 1)

    def section_at(self, pos: int) -> str:
        """Section path at an offset."""
        i = bisect.bisect_right(self.sec_offs, pos) - 1
        return self.secs[i] if i >= 0 else ""


def doc_views(texts: list[str], metas: list[dict]) -> dict[str, DocView]:
    """Rebuild each document's text (chunks are slices of it) from Store.all_chunks() output."""
    by_doc: dict[str, list[tuple[dict, str]]] = {}
    for t, m in zip(texts, metas):
        by_doc.setdefault(m["doc_id"], []).append((m, t))
    views = {}
    for doc_id, items in by_doc.items():
        items.sort(key=lambda x: int(x[0]["char_start"]))
        buf: list[str] = []
        end = 0
        pmarks: dict[int, int] = {}
        smarks: dict[int, str] = {}
        for m, t in items:
            a, b = int(m["char_start"]), int(m["char_end"])
            if a > end:
                buf.append("\n" * (1 if buf else 0) + " " * max(0, a - end - (1 if buf else 0)))
                end = a
            if b > end:
                buf.append(t[end - a:])
                end = b
            for off, num, _label in json.loads(m.get("page_marks") or "[]"):
                pmarks.setdefault(a + int(off), int(num))
            smarks.setdefault(a, m.get("section", ""))
            for off, path in json.loads(m.get("section_marks") or "[]"):
                smarks[a + int(off)] = path
        po = sorted(pmarks)
        so = sorted(smarks)
        m0 = items[0][0]
        views[doc_id] = DocView(doc_id, m0.get("title", ""), m0.get("version", ""), "".join(buf),
                                po, [pmarks[o] for o in po], so, [smarks[o] for o in so])
    return views
