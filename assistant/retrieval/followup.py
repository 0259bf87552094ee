"""Follow-up questions become standalone queries before retrieval."""
from __future__ import annotations

import re

from assistant.retrieval.text import STOP

_FOLLOW = re.compile(r"^\s*(and|what about|how about|and what about|same for|what of|also|then|or)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|such|the same|above)\b", re.I)
# "Which of those steps is optional…" points back however long it is.
_DEMONSTRATIVE = re.compile(r"\b(those|these|the same|such|above[- ]mentioned|the former|the latter)\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/’']*")


# A word that points back without being a pronoun: "the corresponding targets", "the other projects".
_BACK = re.compile(r"\b(corresponding|respective|other|same|former|latter|previous|above)\b", re.I)
_LEAD_IN = re.compile(r"^\s*(?:and|also|then|or)\b[\s,]*(?!(?:what|how) about\b|same for\b|what of\b)", re.I)
_ASKS = re.compile(r"^(what|which|who|whom|when|where|why|how|is|are|does|do|did|can|must|should|will|has|have)\b", re.I)
# A proper name (India, Verra), not an acronym: "…for AFOLU projects?" narrows the previous question.
_NAME = re.compile(r"(?<=\s)[A-Z][a-z][\w’'-]*")


def complete_after_and(question: str, previous: str) -> bool:
    """"And what is India's 2030 emissions intensity target?" after a question on Japan is a question of its own.

    It opens like a follow-up, but it asks in full, points back at nothing and names a subject the
    previous question did not: carrying that question's words into it only searched for the wrong country.
    """
    rest = _LEAD_IN.sub("", question, count=1)
    if rest == question or not _ASKS.match(rest) or _PRONOUN.search(rest) or _DEMONSTRATIVE.search(rest) \
            or _BACK.search(rest):
        return False
    before = previous.lower()
    new_name = any(n.lower().strip("’'").removesuffix("’s").removesuffix("'s") not in before
                   for n in _NAME.findall(" " + rest))
    return new_name and len(key_terms(rest, set())) >= 4


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
    if not history or not looks_like_followup(question) or complete_after_and(question, history[-1]):
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
