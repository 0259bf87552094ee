"""The LLM answer over the quotes: the model's short answer first, then the clauses it rests on, verbatim.

On 36 answerable dev questions (Qwen2.5-Coder 1.5B, 2026-11-29) the model's grounded prose held 0.29 of the
key facts and the extractive quotes 0.65: the small model restates the question, picks a neighbouring clause
or drops the one number asked for. A compliance reader needs the clause itself, so the LLM answer never
replaces the quotes the answer model selected; it leads them. A sentence of the model's resting on a page
none of the quotes is on is dropped: on the same questions those sentences added no key fact and lowered
citation precision from 0.65 to 0.57. So is one that only restates the question (`restates`).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.answering.grounding import markers, split_answer
from assistant.models import Citation
from assistant.retrieval.text import token_containment, tokenize

if TYPE_CHECKING:
    from assistant.answering.llm_answer import LLMResult

_MARK = re.compile(r"\s*\[\d+\]")
# An extractive quote the LLM already copied nearly word for word is not shown twice.
COPIED = 0.85
SAY = "The documents say: "


def _key(c: Citation) -> tuple:
    """What makes two citations the same source sentence."""
    return c.doc_id, c.page, " ".join(c.quote.split())


def restates(sentence: str, question: str) -> bool:
    """True when a sentence adds at most one word to the question's ("Yes, X can do Y.", "There is no cap.").

    Such a sentence is the model's yes or no, not a fact it read: on 48 dev questions 10 of 61 LLM
    sentences were, among them a "Yes" above a quote saying the opposite, and none held a key fact.
    """
    return len(set(tokenize(_MARK.sub(" ", sentence))) - set(tokenize(question))) <= 1


def lead_and_quotes(text: str, cits: list[Citation], quotes: list[Citation], question: str = "",
                    layout: str = "") -> tuple[str, list[Citation], list[str]]:
    """(answer, citations numbered 1..m, dropped LLM sentences): the LLM's sentences on the quotes' pages, then the quotes.

    A sentence that only restates the question is dropped too. A quote whose sentence the LLM already
    cites keeps that number; the others continue the numbering. `layout` is the extractive answer's own
    text where it says more than its quotes (a comparison's "Name: …" cells and silences): it follows
    whole, its markers renumbered.
    """
    pages = {(q.doc_id, q.page) for q in quotes}
    by_n = {c.n: c for c in cits}
    kept, dropped = [], []
    for sent in split_answer(text):
        used = [by_n[n] for n in markers(sent) if n in by_n]
        if used and all((c.doc_id, c.page) in pages for c in used) and not restates(sent, question):
            kept.append((_MARK.sub("", sent).strip(), used))
        else:
            dropped.append(sent)
    merged: list[Citation] = []
    number: dict[tuple, int] = {}

    def num(c: Citation) -> int:
        """The merged number of a citation, given on first use."""
        if _key(c) not in number:
            number[_key(c)] = len(merged) + 1
            merged.append(replace(c, n=number[_key(c)]))
        return number[_key(c)]

    lead = " ".join(f"{body} " + "".join(f"[{n}]" for n in sorted({num(c) for c in used})) for body, used in kept)
    if layout:
        new = {q.n: num(q) for q in quotes}
        tail = re.sub(r"\[(\d+)\]", lambda m: f"[{new.get(int(m.group(1)), m.group(1))}]", layout)
        return (f"{lead}\n\n{SAY}{tail}" if lead else tail), merged, dropped
    plain = _MARK.sub("", lead)
    shown = [f"{q.quote} [{num(q)}]" for q in quotes if token_containment(q.quote, plain) < COPIED]
    if not lead:
        return " ".join(shown), merged, dropped
    return (f"{lead}\n\n{SAY}{' '.join(shown)}" if shown else lead), merged, dropped


def over_quotes(result: LLMResult, quoted: tuple[str, list[Citation]], question: str, compared: bool,
                support: float, override: float) -> tuple[str, list[Citation], bool, list[str]]:
    """(answer, citations, abstained, warnings) of an LLM reply over the extractive answer `quoted`.

    Its grounded sentences lead the quotes. Where it wrote nothing that passed the grounding check, or
    declined while the answer model is at least `override` sure (`support`) that the documents answer,
    the quotes stand alone, flagged. Otherwise it declines, and the caller cites the nearest passages.
    """
    warnings = list(result.warnings)
    if not result.abstained:
        text, cits, off = lead_and_quotes(result.text, result.citations, quoted[1], question,
                                          layout=quoted[0] if compared else "")
        if off:
            warnings.append(f"{len(off)} LLM sentence(s) left out: they restate the question or cite no page "
                            "the quoted sentences are on")
        return text, cits, False, warnings
    # Every sentence failing the grounding check (no [n], a number not in its passage) says nothing about
    # whether the documents answer; and the small LLM declines answerable questions far more often than
    # the calibrated model errs.
    why = ("no sentence of the LLM's passed the grounding check" if not result.refused else
           "the LLM found no answer in its evidence" if support >= override else "")
    if not why:
        return "", [], True, warnings
    warnings.append(f"{why}; the sentences the answer model rates likeliest to state it are quoted "
                    f"(P(answered) {support:.2f})")
    return quoted[0], quoted[1], False, warnings
