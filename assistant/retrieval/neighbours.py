"""Neighbouring chunks: a list or table that one chunk cuts off goes on in the next chunk of its document."""
from __future__ import annotations

import json
from dataclasses import replace

from assistant.models import Passage
from assistant.retrieval.fusion import passage
from assistant.retrieval.lexical import LexicalIndex


def run_on(lex: LexicalIndex, p: Passage) -> Passage | None:
    """p with the next chunk of its document joined on (their overlap once), or None.

    None where there is no next chunk or the two are not contiguous, so a quote read across the
    join is always verbatim document text. Offsets in p's own text are unchanged.
    """
    here, row = lex.row_of.get(p.id), lex.following(p.id)
    if here is None or row is None:
        return None
    m0, m1 = lex.metas[here], lex.metas[row]
    a0, b0, a1 = int(m0["char_start"]), int(m0["char_end"]), int(m1["char_start"])
    if a1 > b0 + 1 or b0 - a0 != len(p.text) or a1 < a0:  # chunks leave out the one newline between them
        return None
    nxt = passage(lex.ids[row], lex.texts[row], m1)
    n = len(p.text)

    def joined(own: list, other: list, first: list) -> str:
        """Both chunks' marks in the joined text; each chunk's implicit first mark made explicit.

        The next chunk's implicit mark is left out where it repeats the last one (same page, same
        section): the text runs on there, and a mark would cut a sentence at the join.
        """
        moved = [[o + a1 - a0, *rest] for o, *rest in other if o + a1 - a0 >= n] or [[n, *first[1][1:]]]
        own = own or [first[0]]
        if moved[0][0] == n and list(moved[0][1:]) == list(own[-1][1:]):
            moved = moved[1:]
        return json.dumps(own + moved)

    pages = joined(json.loads(p.page_marks or "[]"), json.loads(nxt.page_marks or "[]"),
                   [[0, p.page_start, p.page_label], [0, nxt.page_start, nxt.page_label]])
    secs = joined(json.loads(p.section_marks or "[]"), json.loads(nxt.section_marks or "[]"),
                  [[0, p.section], [0, nxt.section]])
    text = p.text + "\n" * (a1 - b0) + nxt.text[max(0, b0 - a1):]
    return replace(p, text=text, page_end=max(p.page_end, nxt.page_end),
                   page_marks=pages, section_marks=secs)


def run_back(lex: LexicalIndex, p: Passage) -> tuple[Passage, int] | None:
    """The previous chunk of p's document with p joined on, and where p's text starts in it; or None.

    A chunk can start inside a sentence (", cleared in a single monitoring period …"): the joined
    passage holds the sentence whole. None where the two chunks are not contiguous.
    """
    row = lex.preceding(p.id)
    if row is None:
        return None
    prev = passage(lex.ids[row], lex.texts[row], lex.metas[row])
    joined = run_on(lex, prev)
    if joined is None or not joined.text.endswith(p.text[-40:]):
        return None
    return joined, len(joined.text) - len(p.text)
