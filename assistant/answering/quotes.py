"""Passage sentences with their page and section, so every quote is checkable on one page."""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Callable

from assistant.models import Citation, Passage
from assistant.retrieval.text import LEADERS, SENTENCE_END, front_matter, tokenize
from ingest.chunking import split_sentences
from ingest.clean import normalise_ws
from ingest.solo import MAX_WORDS, MIN_WORDS



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


def span(first: Sentence, last: Sentence, body: Passage) -> Sentence:
    """One quote from first's start to last's end, verbatim from the passage (both on first's page)."""
    tail = last.text.split()[-1]
    end = body.text.find(tail, last.offset) + len(tail)
    return Sentence(normalise_ws(body.text[first.offset:end]), first.page, first.page_label, first.section,
                    first.passage, first.offset)


def cite(n: int, sent: Sentence, score: float) -> Citation:
    """A numbered citation for a sentence."""
    p = sent.passage
    return Citation(
        n=n, doc_id=p.doc_id, title=p.title, page=sent.page, page_label=sent.page_label,
        section=sent.section, quote=sent.text, score=round(float(score), 4), version=p.version,
        passage_id=p.id,
    )


def members(s: Sentence) -> list[Sentence]:
    """The passage sentences a quote spans, from its start."""
    out = []
    for x in sentences(s.passage):
        if x.offset < s.offset:
            continue
        if x.text not in s.text:
            break
        out.append(x)
    return out


_FRAGMENT = re.compile(r"^[a-z,;:)\]]")


def whole_sentence(sent: Sentence, back: Callable[[Passage], tuple[Passage, int] | None] | None) -> Sentence:
    """sent from its start where its chunk began inside it (", cleared in a single …"), else sent.

    `back` gives the previous chunk with this one joined on, and where this one starts in it.
    """
    if back is None or sent.offset != 0 or not _FRAGMENT.match(sent.text):
        return sent
    got = back(sent.passage)
    if got is None:
        return sent
    joined, start = got
    whole = [y for y in sentences(joined) if y.offset <= start]
    if not whole or whole[-1].page != sent.page or not whole[-1].text.endswith(sent.text):
        return sent
    return whole[-1]


_ENDED = re.compile(r"[.!?;:)\]\"”’]\s*$")
# The next page carries on a cut sentence when it opens in lower case ("is credited or claimed by …").
_CARRIES_ON = re.compile(r"^[a-z(]")
_FOOTNOTE = re.compile(r"^\d{1,3}\s+\S")


def read_past(sent: Sentence, more: Callable[[Passage], Passage | None] | None = None
              ) -> tuple[Passage, list[Sentence]]:
    """The passage to read sent on in, and its sentences after sent.

    Where nothing after sent in its own chunk lies on a later page, `more` (the passage with the next
    chunk joined on) supplies what follows.
    """
    body = sent.passage
    following = after(sent, sentences(body))
    if more and not any(x.page > sent.page for x in following):
        joined = more(body)
        if joined is not None:
            return joined, after(sent, sentences(joined))
    return body, following


def after(sent: Sentence, sents: list[Sentence]) -> list[Sentence]:
    """The sentences after sent, past the ones it already spans (a rule quoted with its exception)."""
    out = [x for x in sents if x.offset > sent.offset]
    while out and out[0].text in sent.text:
        out.pop(0)
    return out


def read_on(sent: Sentence, more: Callable[[Passage], Passage | None] | None = None) -> list[Sentence]:
    """sent, and the rest of it from the next page where the page break cut it ("… a GHG emission reduction or").

    A citation names one page, so the rest is a second quote on the next page. Only a sentence with no
    end punctuation that is its page's last (footnotes aside), and a next page that opens in lower case,
    read on.
    """
    if _ENDED.search(sent.text):
        return [sent]
    following = read_past(sent, more)[1]
    # only footnotes may stand between it and the page's foot ("1 See: World Bank Operational Manual …")
    if not all(_FOOTNOTE.match(x.text) for x in following if x.page == sent.page):
        return [sent]
    nxt = next((x for x in following if x.page > sent.page), None)
    if nxt is None or nxt.page != sent.page + 1 or not _CARRIES_ON.match(nxt.text):
        return [sent]
    return [sent, nxt]


# Six or more bare numbers in a row are a chart's data labels or axis ticks read out of a figure
# ("Figure VII.12: … 21.7 16.1 15.3 14.2 8.8 5.7 2.3 0.8 0.5 0.4 0 5 10 15 20"): no dev gold quote
# holds such a run, and 8 dev answers quoted one.
_CHART_RUN = re.compile(r"(?:(?<!\S)[-+]?\d[\d.,]*%?\s+){5,}[-+]?\d[\d.,]*%?(?!\S)")


def chart_data(text: str) -> bool:
    """True when a 'sentence' holds a figure's numbers read out as a run (not quotable prose)."""
    return bool(_CHART_RUN.search(text))


def title_echo(text: str, title: str) -> bool:
    """True when a sentence is the document's own title block ("ICRA's CLIMATE SERIES India - Japan JCM …").

    "Who approves methodologies under the JCM?" was answered with the ICRA note's title line: it
    shares the question's names and states nothing. No dev gold quote has half its words from its title.
    """
    toks = tokenize(text)
    if len(toks) < 5 or not title:
        return False
    words = set(tokenize(title))
    return sum(t in words for t in toks) / len(toks) >= 0.75


def quotable(text: str, p: Passage) -> bool:
    """A sentence worth judging as an answer: prose of a judged length, not chart data or the title block."""
    # the length bounds are the background fill's (ingest/solo.py), so its vectors cover every candidate
    sized = MIN_WORDS <= len(text.split()) <= MAX_WORDS or p.id.startswith("def:")
    # A contents line ("ANNEX A – REQUIREMENTS FOR CREDITS … ARTICLE 6 ____ 25") names a topic and states nothing.
    contents = bool(LEADERS.search(text)) or (not SENTENCE_END.search(text) and front_matter(p.text))
    return sized and not contents and not chart_data(text) and not title_echo(text, p.title)
