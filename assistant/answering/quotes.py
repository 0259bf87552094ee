"""Passage sentences with their page and section, so every quote is checkable on one page."""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Callable

from assistant.models import Citation, Passage
from ingest.chunking import split_sentences
from ingest.clean import normalise_ws


_ITEM = re.compile(r"^(\(?[a-z0-9]{1,4}[).]|[•●▪■◦\-–]|[a-z])")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage: verbatim text (whitespace-normalised), page and section."""

    text: str
    page: int
    page_label: str
    section: str
    passage: Passage
    offset: int


def sentences(passage: Passage) -> list[Sentence]:
    """Split a passage into sentences that never cross a page or heading boundary."""
    pages = json.loads(passage.page_marks or "[]") or [[0, passage.page_start, passage.page_label]]
    marks = json.loads(passage.section_marks or "[]")
    page_offs = [p[0] for p in pages]
    sec_offs = [m[0] for m in marks]
    out = []
    for a, b in split_sentences(passage.text, page_offs, sec_offs):  # the marks are parsed once, here
        pi = max(0, bisect.bisect_right(page_offs, a) - 1)
        si = bisect.bisect_right(sec_offs, a) - 1
        section = marks[si][1] if si >= 0 else passage.section
        text = normalise_ws(passage.text[a:b])
        if text:
            out.append(Sentence(text, int(pages[pi][1]), pages[pi][2] or "", section, passage, a))
    return out


def cite(n: int, sent: Sentence, score: float) -> Citation:
    """A numbered citation for a sentence."""
    p = sent.passage
    return Citation(
        n=n, doc_id=p.doc_id, title=p.title, page=sent.page, page_label=sent.page_label,
        section=sent.section, quote=sent.text, score=round(float(score), 4), version=p.version,
        passage_id=p.id,
    )


def distinct(chosen: list[tuple[float, Sentence]]) -> list[tuple[float, Sentence]]:
    """The chosen (P, quote) pairs less any whose text repeats, or is repeated by, an earlier one on the same page.

    A runner-up joined with the neighbour that states the value can quote the best sentence again.
    """
    out: list[tuple[float, Sentence]] = []
    for p, x in chosen:
        if any(x.page == y.page and x.passage.doc_id == y.passage.doc_id and (x.text in y.text or y.text in x.text)
               for _, y in out):
            continue
        out.append((p, x))
    return out


def _items(sent: Sentence, following: list[Sentence], room: int, max_words: int) -> list[Sentence]:
    """The list items among `following` that continue sent's list on its page and in its section."""
    items: list[Sentence] = []
    words = 0
    for x in following[:room]:
        if x.page != sent.page or x.section != sent.section or not _ITEM.match(x.text):
            break
        items.append(x)
        words += len(x.text.split())
        if words > max_words:
            break
    return items


def extend_lead_in(sent: Sentence, max_items: int = 4, max_words: int = 120,
                   more: Callable[[Passage], Passage | None] | None = None) -> Sentence:
    """A sentence ending in ':' introduces a list: take the items that follow on the same page.

    A chunk may end inside the list ("derived from: (a) …" with (b) and (c) in the next chunk):
    `more` gives the passage that comes next in the document, and its items are read on.
    """
    if not sent.text.rstrip().endswith(":"):
        return sent
    body = sent.passage
    following = [x for x in sentences(body) if x.offset > sent.offset]
    items = _items(sent, following, max_items, max_words)
    if more and len(items) == len(following) < max_items:
        joined = more(body)  # the passage with the next chunk joined on, same offsets for its own text
        if joined is not None:
            body = joined
            following = [x for x in sentences(body) if x.offset > sent.offset]
            items = _items(sent, following, max_items, max_words)
    if not items:
        return sent
    last = items[-1]
    end = body.text.find(last.text.split()[-1], last.offset) + len(last.text.split()[-1])
    text = normalise_ws(body.text[sent.offset:end])
    return Sentence(text, sent.page, sent.page_label, sent.section, sent.passage, sent.offset)
