"""How chosen sentences become quotes: read on over what carries a rule on, and merged where they meet.

Each step keeps a quote verbatim on one page: a span of the passage's own sentences.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from assistant.answering.quotes import Sentence, after, members, quotable, sentences, span
from assistant.models import Passage
from ingest.clean import normalise_ws


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
    spanned = members(sent)
    if not spanned or spanned[0].offset != sent.offset:
        return sent
    words, prev, end = len(sent.text.split()), spanned[-1], None
    for nxt in after(sent, sentences(sent.passage)):
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


# A sentence that opens a new clause, item or heading ("5.1.44 |", "(b)", "•", "Step 3", "Table 2") ends the
# clause before it.
_NEW_CLAUSE = re.compile(r"^(\(?[0-9ivxa-h]{1,4}[.)]|\d+(\.\d+)+|[•▪●◦\-–]|(step|sub-step|note|table|figure|box|annex|"
                         r"appendix|section)\b)", re.I)


def with_next(sent: Sentence, more: Callable[[Passage], Passage | None] | None = None,
              max_add: int = 40, max_words: int = 120) -> Sentence:
    """sent with the next sentence of its page and section where that one goes on with the same clause.

    A rule's next sentence often holds what the question asks ("The signatory shall be an individual
    with legal signing authority …" after "… attest … by its signature on the Annual Report"). On dev
    (901 questions, out of fold) reading one sentence on lifted key-fact recall 0.617 -> 0.631, 14
    questions up and none down, for 7 more words an answer on average; reading on into the next chunk
    where the quote ends its own, 0.631 -> 0.638 (6 up, none down). The next sentence is left out
    where it opens a new clause, item or heading, is a footnote, formula or fragment, or is long.
    """
    spanned = members(sent)
    if not spanned or spanned[0].offset != sent.offset:
        return sent
    body = sent.passage
    following = after(sent, sentences(body))
    if not following and more is not None:  # the clause may go on in the next chunk
        body = more(sent.passage) or body
        following = after(sent, sentences(body))
    nxt = next(iter(following), None)
    if (nxt is None or nxt.page != sent.page or nxt.section != spanned[-1].section or _NEW_CLAUSE.match(nxt.text)
            or not 6 <= len(nxt.text.split()) <= max_add or len(sent.text.split()) + len(nxt.text.split()) > max_words
            or not nxt.text[:1].isalpha() or nxt.text.rstrip()[-1:] not in ".!?;" or "=" in nxt.text
            or not quotable(nxt.text, sent.passage)):
        return sent
    return replace(span(spanned[0], nxt, body), passage=body)  # the text it spans, for bridged()


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
    """The (P, quote) pairs with two quotes of one passage and page joined over a short gap, in first-quoted order.

    A quote the gap held ("(c) …" between "(b) …" and "(d) …") gives way to the joined one.
    """
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
    return distinct(out) if len(out) < len(quotes) else out


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


def _run_together(a: Sentence, b: Sentence) -> Sentence | None:
    """a with the rest of b, where b opens with sentences that a ends with; None if it does not, or the
    joined text is not verbatim in the passage of either (one may be a chunk read on into the next)."""
    spanned = members(b)
    for m in spanned:
        head = span(spanned[0], m, b.passage).text
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
