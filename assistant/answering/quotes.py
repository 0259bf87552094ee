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


# A sentence that opens by qualifying the one before it: its exception, condition or limit.
_EXCEPTION = re.compile(r"^\W*(however\b|instead\b|except\b|unless\b|notwithstanding\b|provided that\b|"
                        r"with the exception\b|this (requirement |rule |section )?(does not|shall not) apply\b)", re.I)


# A sentence that says no more than what it adds to the one before it ("This includes any requirements
# relating to … corresponding adjustments", "In such a scenario, the Secretariat shall propose changes").
_POINTS_BACK = re.compile(r"^\W*(this|these|such)\s+(includes?|means?|applies|covers?|requirements?|rules?|"
                          r"provisions?|obligations?|shall|must|may|is|are)\b|^\W*in (such (an? )?|this |that |either )"
                          r"(case|scenario|event|instance|situation)s?\b|^\W*note\s*(that\b|[:–-])", re.I)


def with_follow_on(sent: Sentence, max_words: int = 120) -> Sentence:
    """sent with the sentences after it on its page that qualify it ("However, …", "In such a case, …").

    A rule quoted without the "However, the total duration … shall not exceed …" that follows it
    tells a compliance reader less than the document does, and can tell them the opposite.
    """
    # sent may already be a span of several sentences (a value or list read on): read on after the last
    spanned = _members(sent)
    if not spanned or spanned[0].offset != sent.offset:
        return sent
    words, prev, end = len(sent.text.split()), spanned[-1], None
    for nxt in _after(sent, sentences(sent.passage)):
        if nxt.page != sent.page or not (_EXCEPTION.match(nxt.text) or _POINTS_BACK.match(nxt.text)
                                         or _takes_up(nxt.text, prev.text)):
            break
        words += len(nxt.text.split())
        if words > max_words:
            break
        prev = end = nxt
    return sent if end is None else span(spanned[0], end, sent.passage)


_OPENING = re.compile(r"^(?:the |its |their )?((?:[A-Za-z][\w-]*\s+){0,1}[A-Za-z][\w-]*)\s+(?:shall|must|may|is|are|"
                      r"includes?|will|has|have|should)\b", re.I)
_GENERIC = {"project", "projects", "it", "they", "this", "that", "there", "he", "she", "we", "you", "which"}


def _takes_up(text: str, before: str) -> bool:
    """'… apply a discount factor …' then 'The discount factor shall be 30%': the subject is the one just named."""
    m = _OPENING.match(text)
    if not m or m.group(1).lower() in _GENERIC:
        return False
    return re.search(rf"\b{re.escape(m.group(1))}\b", before, re.I) is not None


def cite(n: int, sent: Sentence, score: float) -> Citation:
    """A numbered citation for a sentence."""
    p = sent.passage
    return Citation(
        n=n, doc_id=p.doc_id, title=p.title, page=sent.page, page_label=sent.page_label,
        section=sent.section, quote=sent.text, score=round(float(score), 4), version=p.version,
        passage_id=p.id,
    )


def distinct(chosen: list[tuple[float, Sentence]]) -> list[tuple[float, Sentence]]:
    """The chosen (P, quote) pairs without repeats on one page: a quote inside another gives way to it.

    A runner-up joined with the neighbour that states the value, or a lead-in read on through its
    list, can hold an earlier quote: the longer one takes the earlier one's place. Two quotes of one
    passage that share sentences (a list, and its last item read on with the note after it) become one.
    """
    out: list[tuple[float, Sentence]] = []
    for p, x in chosen:
        same = [i for i, (_, y) in enumerate(out) if x.page == y.page and x.passage.doc_id == y.passage.doc_id
                and (x.text in y.text or y.text in x.text)]
        if not same:
            joined = next(((i, j) for i, (_, y) in enumerate(out) if (j := _overlap(x, y)) is not None), None)
            if joined is None:
                out.append((p, x))
            else:
                out[joined[0]] = (max(p, out[joined[0]][0]), joined[1])
        elif all(out[i][1].text in x.text for i in same) and x.text not in out[same[0]][1].text:
            out[same[0]] = (max(p, out[same[0]][0]), x)
            out = [o for k, o in enumerate(out) if k not in same[1:]]
    return out


# Two quotes of one passage with at most this many words between them are read as one: the sentence
# a rule's two quoted halves leave out is often the step the question asks about ("… submits the documents
# to the Verra Registry. [Verra conducts a completeness review …] Where it is determined …").
BRIDGE_WORDS = 60


def bridged(quotes: list[tuple[float, Sentence]], max_words: int = BRIDGE_WORDS) -> list[tuple[float, Sentence]]:
    """The (P, quote) pairs with two quotes of one passage and page joined over a short gap, in first-quoted order."""
    out = list(quotes)
    i = 0
    while i < len(out):
        for j in range(len(out)):
            if j == i:
                continue
            joined = _across(out[i][1], out[j][1], max_words)
            if joined is not None:
                out[min(i, j)] = (max(out[i][0], out[j][0]), joined)
                del out[max(i, j)]
                i = -1
                break
        i += 1
    return out


def _across(a: Sentence, b: Sentence, max_words: int) -> Sentence | None:
    """One quote from a's start to b's end where b follows a in one passage on one page, a short gap apart.

    Either may have been read on into the next chunk (the same passage id, a longer text): the longer
    text is the body, and the joined quote must hold both verbatim.
    """
    if a.passage.id != b.passage.id or a.page != b.page or b.offset <= a.offset:
        return None
    body, other = sorted((a.passage, b.passage), key=lambda p: -len(p.text))
    if not body.text.startswith(other.text):
        return None
    sents = sentences(body)
    at = {x.offset: k for k, x in enumerate(sents)}
    ends = [k for k, x in enumerate(sents) if x.offset >= a.offset and x.text in a.text]
    if a.offset not in at or b.offset not in at or not ends:
        return None
    last, first = max(ends), at[b.offset]
    if first <= last or not b.text.startswith(sents[first].text):
        return None
    gap = sents[last + 1:first]
    if any(x.page != a.page for x in gap) or sum(len(x.text.split()) for x in gap) > max_words:
        return None
    tail = [k for k, x in enumerate(sents) if k >= first and x.text in b.text]
    joined = span(sents[at[a.offset]], sents[max(tail)], body)
    return joined if joined.text.startswith(a.text) and joined.text.endswith(b.text) else None


def _members(s: Sentence) -> list[Sentence]:
    """The passage sentences a quote spans, from its start."""
    out = []
    for x in sentences(s.passage):
        if x.offset < s.offset:
            continue
        if x.text not in s.text:
            break
        out.append(x)
    return out


def _run_together(a: Sentence, b: Sentence) -> Sentence | None:
    """a with the rest of b, where b opens with sentences that a ends with; None if it does not, or the
    joined text is not verbatim in the passage of either (one may be a chunk read on into the next)."""
    members = _members(b)
    for m in members:
        head = span(members[0], m, b.passage).text
        if not a.text.endswith(head):
            continue
        joined = a.text + b.text[len(head):]
        for body in (a.passage, b.passage):
            start = next((x for x in sentences(body) if a.text.startswith(x.text)
                          and normalise_ws(body.text[x.offset:]).startswith(joined)), None)
            if start is not None:
                return Sentence(joined, start.page, start.page_label, start.section, body, start.offset)
    return None


def _overlap(x: Sentence, y: Sentence) -> Sentence | None:
    """One quote for two on one page of one document that share sentences (either may come first)."""
    if x.page != y.page or x.passage.doc_id != y.passage.doc_id:
        return None
    return _run_together(y, x) or _run_together(x, y)


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
    following = _after(sent, sentences(body))
    if more and not any(x.page > sent.page for x in following):
        joined = more(body)
        if joined is not None:
            return joined, _after(sent, sentences(joined))
    return body, following


def _after(sent: Sentence, sents: list[Sentence]) -> list[Sentence]:
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
