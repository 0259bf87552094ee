"""What a 'how many X' question counts, and whether a sentence puts a number on X.

"How many members sit on the Verra Board?" is not answered by "within 30 days" or "Section 4.2": a
sentence answers only when a number stands next to the thing counted ("seven members", "168 latest
available NDCs"), or gives a share of it ("91 per cent cover CH4" for "how many NDCs cover methane").
"""
from __future__ import annotations

import re

from assistant.retrieval.text import STOP, tokenize

# "how many partner countries has …", "the number of Design Certification Renewals …": the counted
# phrase runs from the cue to the first word that is no part of a noun phrase.
_CUE = re.compile(r"\b(?:how many|number of)\s+(?P<phrase>[^?,;:]+)", re.I)
_END = {"do", "does", "did", "are", "is", "were", "was", "can", "could", "must", "may", "might", "should", "would",
        "will", "shall", "have", "has", "had", "sit", "cover", "covers", "be", "been", "that", "which", "who", "whose",
        "in", "on", "under", "per", "for", "to", "by", "from", "with", "at", "within", "if", "when", "where", "of"}
# Units written in full in a question and abbreviated in the documents.
_UNIT = {"gigawatt": "gw", "megawatt": "mw", "kilowatt": "kw", "centimetre": "cm", "centimeter": "cm",
         "kilometre": "km", "kilometer": "km", "hectare": "ha", "tonne": "t", "metre": "m", "meter": "m"}
_NUMBER = re.compile(r"^(?:\d[\d,.]*%?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|single|dozen)$")
_PERCENT = re.compile(r"\d\s*(%|per ?cent|percent)", re.I)
_WORD = re.compile(r"[A-Za-z0-9][\w.,%/-]*")
BEFORE = 3  # "168 latest available NDCs"


def counted(question: str) -> tuple[str, ...]:
    """The stems of the nouns a 'how many' / 'number of' question counts ('members'), or ().

    The head of each noun phrase is counted, not its modifiers: "how many Design Certification
    Renewals" wants "one Renewal", and "a five-year Design Certification Renewal cycle" counts years.
    """
    m = _CUE.search(question)
    if not m:
        return ()
    words = []
    for w in m["phrase"].split()[:6]:
        w = w.strip("()'\"“”’")
        if w.lower() in _END:
            break
        words.append(w)
    groups = [g.split() for g in re.split(r"(?i)(?:^|\s)(?:and|or)(?=\s|$)", " ".join(words)) if g.split()]
    heads = []
    for g in groups:
        heads += tokenize(g[-1])[-1:]
        if len(g) > 1 and all(w[:1].isupper() for w in g):  # "Sustainable Development Goals" are "SDGs"
            heads += tokenize("".join(w[0] for w in g) + g[-1][-1:])
    return tuple(dict.fromkeys(heads + [_UNIT[h] for h in heads if h in _UNIT]))


def _stem(word: str) -> str:
    """The word as tokenize stems it ('' for a bare number or stop word)."""
    toks = tokenize(word)
    return toks[0] if toks else ""


def puts_number_on(text: str, nouns: tuple[str, ...]) -> bool:
    """True when the sentence puts a number next to a counted noun, or states a share of one."""
    if not nouns:
        return True
    words = [w.rstrip(".,;:") for w in _WORD.findall(text)]
    stems = [_stem(w) for w in words]
    for i, s in enumerate(stems):
        if s in nouns:
            if any(_NUMBER.match(w.lower()) for w in words[max(0, i - BEFORE): i]):
                return True
    return any(s in nouns for s in stems) and bool(_PERCENT.search(text))
