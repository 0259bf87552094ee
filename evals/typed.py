"""Questions as users type them: the same rows in lower case without a question mark, or opened chattily.

Users do not write like the question set. `carbonqa eval run --typed lower` asks every row as
"what is the ndc target of japan for 2040", `--typed chatty` as "Quick question, what is the NDC
target…?"; the gold answers stay. A run that loses against `as-written` finds the places where the
pipeline depends on how a question is typed rather than on what it asks.
"""
from __future__ import annotations

from dataclasses import replace

from evals.dataset import Question

TYPINGS = ("as-written", "lower", "chatty")


def retype(q: Question, how: str) -> Question:
    """The row with its question typed as `how` says (its history, answer and evidence unchanged)."""
    if how not in TYPINGS:
        raise ValueError(f"unknown typing '{how}' ({', '.join(TYPINGS)})")
    text = " ".join(q.question.split())
    if how == "lower":
        text = text.rstrip("?").lower()
    elif how == "chatty" and text:
        text = "Quick question, " + text[0].lower() + text[1:]
    return replace(q, question=text)
