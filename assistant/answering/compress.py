"""Compressed evidence for the LLM: the best-scored sentences with their neighbours, not whole chunks.

Prompt reading dominates a local model's time to first token on a 2-core CPU (30–150 tokens/s),
so the model reads ~300–400 tokens of evidence instead of five 200-token chunks. Each piece is a
verbatim span of one passage on one page, so the grounding check and citations work unchanged.
"""
from __future__ import annotations

import json
from dataclasses import replace

from assistant.models import Passage
from assistant.answering.quotes import Sentence, sentences
from assistant.retrieval.text import LEADERS


def _window(sent: Sentence, before: int, after: int) -> tuple[int, int]:
    """Character span of the sentence with up to `before`/`after` neighbours on the same page."""
    sents = sentences(sent.passage)
    i = next((k for k, x in enumerate(sents) if x.offset == sent.offset), None)
    if i is None:
        return sent.offset, sent.offset + len(sent.text)
    lo, hi = i, i
    while lo > 0 and i - lo < before and sents[lo - 1].page == sent.page:
        lo -= 1
    while hi + 1 < len(sents) and hi - i < after and sents[hi + 1].page == sent.page:
        hi += 1
    text = sent.passage.text
    last = sents[hi]
    tail = last.text.split()[-1]
    end = text.find(tail, last.offset)
    return sents[lo].offset, (end + len(tail)) if end >= 0 else len(text)


def _grouped(out: list[Passage]) -> list[Passage]:
    """Windows of one document next to each other, documents in order of their best window."""
    first: dict[str, int] = {}
    for i, p in enumerate(out):
        first.setdefault(p.doc_id, i)
    return sorted(out, key=lambda p: first[p.doc_id])


def evidence_passages(scored: list[tuple[float, Sentence]], k: int = 6, budget_words: int = 260,
                      before: int = 1, after: int = 1) -> list[Passage]:
    """Up to k small passages around the best sentences within a word budget, grouped by document.

    Chosen best first; a document's windows are then put together (in order of its best one),
    so the prompt names each document once.
    """
    out: list[Passage] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    words = 0
    for _p, s in scored:
        if len(out) >= k:
            break
        a, b = _window(s, before, after)
        taken = spans.setdefault(s.passage.id, [])
        if any(a < y and x < b for x, y in taken):
            continue  # overlaps a window already given
        body = " ".join(s.passage.text[a:b].split())
        if LEADERS.search(body):  # contents lines: never evidence
            continue
        n = len(body.split())
        if out and words + n > budget_words:
            continue
        taken.append((a, b))
        words += n
        out.append(replace(
            s.passage, id=f"{s.passage.id}@{a}", text=body, page_start=s.page, page_end=s.page,
            page_label=s.page_label, section=s.section, page_marks=json.dumps([[0, s.page, s.page_label]]),
            section_marks="[]",
        ))
    return _grouped(out)
