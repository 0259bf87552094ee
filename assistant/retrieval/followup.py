"""Follow-up questions become standalone queries before retrieval."""
from __future__ import annotations

import re

from assistant.retrieval.text import STOP

_FOLLOW = re.compile(r"^\s*(and|what about|how about|and what about|same for|what of|also|then|or)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|such|the same|above)\b", re.I)
# "Which of those steps is optional…" points back however long it is.
_DEMONSTRATIVE = re.compile(r"\b(those|these|the same|such|above[- ]mentioned|the former|the latter)\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/’']*")


def looks_like_followup(question: str) -> bool:
    """Short, elliptic or pronoun-led questions lean on the previous turn."""
    words = question.split()
    return (bool(_FOLLOW.search(question)) or len(words) <= 5 or (len(words) <= 10 and bool(_PRONOUN.search(question)))
            or (len(words) <= 16 and bool(_DEMONSTRATIVE.search(question))))


def key_terms(question: str, drop: set[str]) -> list[str]:
    """Content words of a question, minus the ones in `drop` (names the new question replaces)."""
    out = []
    for w in _WORD.findall(question):
        lw = w.lower().strip("’'")
        if lw in STOP or lw in drop or len(lw) < 2:
            continue
        out.append(w)
    return out


def leans_back(question: str) -> bool:
    """A follow-up by its words ("and…", "what about…", a pronoun), not by its length alone."""
    return bool(_FOLLOW.search(question) or _PRONOUN.search(question) or _DEMONSTRATIVE.search(question))


def rewrite_followup(question: str, history: list[str], family_names: dict[str, list[str]]) -> str:
    """Carry the previous question's key terms into an elliptic follow-up.

    `family_names` maps a document family to the names a user calls it by; when the new
    question names another family, the old family's names are dropped so retrieval moves over.
    """
    if not history or not looks_like_followup(question):
        return question
    # The previous turn as it was searched: after "How long is the crediting period under Gold Standard?" and
    # "and under verra?", "what about AFOLU projects" still asks about the crediting period.
    # A short previous turn that names its own subject ("How is a VVB accredited?") is taken as it stands.
    prev = history[-1]
    if len(history) > 1 and leans_back(prev):
        prev = rewrite_followup(prev, history[:-1], family_names)
    q_low, p_low = question.lower(), prev.lower()
    drop: set[str] = set()
    new_names = [f for f, names in family_names.items() if any(n in q_low for n in names)]
    if new_names:
        for fam, names in family_names.items():
            if fam not in new_names and any(n in p_low for n in names):
                for n in names:
                    drop.update(n.split())
    carried = key_terms(prev, drop | {w.lower() for w in _WORD.findall(question)})
    core = _FOLLOW.sub("", question).strip(" ?.")
    return f"{core} — {' '.join(carried)}".strip(" —") + "?"
