"""The grounding check on a generated answer: every sentence cited, every number found in its sources.

Sentences that fail are removed and reported, never silently kept; the one repair, an uncited
sentence that quotes a neighbouring cited passage word for word, is kept with a warning.
Surviving citations are turned into verbatim quotes (the best-matching sentence of each cited
passage) and renumbered 1..m in order of first use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from assistant.models import Citation, Passage
from assistant.answering.quotes import Sentence, cite, sentences
from assistant.retrieval.text import token_containment, tokenize
from ingest.chunking import ABBREVIATIONS

_MARK = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*(?:[,;]|and|[-–])\s*(?:passages?\s*)?\d+)*)\s*\]", re.I)
# A sentence ends at . ! ? (plus closing quotes and any citation markers that follow it),
# before whitespace and a capital, digit, quote or bullet that starts the next one.
_END = re.compile(r"[.!?][\"”’)]*((?:\s*\[[^\]\n]{1,20}\])*)\s+(?=[\"“(]?[A-Z0-9•*\-])")
# Some models put the marker first ("[1] The period is ten years. [2] It may…"): there a
# marker after a full stop opens the next sentence instead of closing this one.
_END_LEADING = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“(]?[A-Z0-9•*\-\[])")
_LEADS = re.compile(r"\s*\[[^\]\n]{1,20}\]\s*[\"“(]?[A-Za-z0-9]")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
# Share of an uncited sentence's tokens that must occur in one passage sentence to adopt it.
QUOTE_OVERLAP = 0.85

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUE = {w: i for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALE = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_MONTHS = "january february march april may june july august september october november december".split()
# Digits glued to letters (CO2, Tool01) are names, not quantities; a "v" prefix is a version.
_NUMBER = re.compile(
    r"(?<![\d.])(?<![A-UW-Za-uw-z_])(\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)*)(?:st|nd|rd|th)?"
    r"(?:\s*(hundred|thousand|million|billion)\b)?",
    re.I,
)
_WORDS = re.compile(
    r"\b(" + "|".join(_TENS) + r")(?:[-\s](" + "|".join(_UNITS[1:10]) + r"))?\b|\b(" + "|".join(_UNITS) + r")\b"
    r"(?:\s+(hundred|thousand|million|billion)\b)?",
    re.I,
)
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b\.?", re.I)


@dataclass
class Grounded:
    """The checked answer: text with renumbered markers, citations, and what was removed."""

    text: str
    citations: list[Citation]
    unsupported: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        """True when no sentence survived the check."""
        return not self.text


def split_answer(text: str) -> list[str]:
    """Split generated text into sentences, keeping each one's trailing [n] markers with it."""
    out = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        start = 0
        ends = _END_LEADING if _LEADS.match(line) and _MARK.match(line.lstrip()) else _END
        for m in ends.finditer(line):
            word = re.search(r"([\w.]+)$", line[start: m.start()])
            if word and word.group(1).strip(".").lower() in ABBREVIATIONS:
                continue
            out.append(line[start: m.end()].strip())
            start = m.end()
        out.append(line[start:].strip())
    merged: list[str] = []
    for s in out:
        # A line holding only markers belongs to the sentence above it.
        if merged and not _MARK.sub("", s).strip(" .;,"):
            merged[-1] = f"{merged[-1]} {s}"
        elif s:
            merged.append(s)
    return merged


def markers(sentence: str) -> list[int]:
    """Passage numbers cited in a sentence, in order, without repeats; [2-4] means 2, 3, 4."""
    nums: list[int] = []
    for m in _MARK.finditer(sentence):
        body = re.sub(r"passages?", "", m.group(1), flags=re.I)
        for part in re.split(r"\s*(?:[,;]|and)\s*", body):
            ends = [int(x) for x in re.split(r"\s*[-–]\s*", part.strip()) if x.strip().isdigit()]
            if len(ends) == 2 and 0 < ends[1] - ends[0] < 20:
                nums.extend(range(ends[0], ends[1] + 1))
            else:
                nums.extend(ends)
    return list(dict.fromkeys(nums))


def _canonical(raw: str) -> str:
    """One spelling per quantity: '1,000' and '1000.0' → '1000'; clause numbers stay as written."""
    raw = re.sub(r"[,\u00a0\u202f ]", "", raw)
    if raw.count(".") > 1:
        return ".".join(str(int(p)) for p in raw.split(".") if p)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    return format(value.normalize(), "f")


def _scaled(raw: str, scale: str | None) -> str:
    """A number times its scale word: ('1.5', 'million') → '1500000'."""
    if not scale:
        return _canonical(raw)
    try:
        return _canonical(str(Decimal(re.sub(r"[,\u00a0\u202f ]", "", raw)) * _SCALE[scale.lower()]))
    except InvalidOperation:
        return _canonical(raw)


def numbers(text: str, generous: bool = False) -> set[str]:
    """Numeric facts in text, normalised: digits, number words, scale words, months.

    `generous` is for source text: it also yields the parts of clause numbers and of
    space-grouped thousands, and plain 'one', so a faithful paraphrase is never rejected.
    The answer side is strict, except that the word 'one' ('one of the…') is not a fact.
    """
    text = _MARK.sub(" ", text)
    found: set[str] = set()
    for m in _NUMBER.finditer(text):
        raw, scale = m.group(1), m.group(2)
        found.add(_scaled(raw, scale))
        if generous:
            found.add(_canonical(raw))
            for piece in re.split(r"[ .\u00a0\u202f]", raw):
                if piece.strip(","):
                    found.add(_canonical(piece))
    for m in _WORDS.finditer(text):
        if m.group(1):
            value = _WORD_VALUE[m.group(1).lower()] + (_WORD_VALUE[m.group(2).lower()] if m.group(2) else 0)
            scale = None
        else:
            if m.group(3).lower() == "one" and not generous and not m.group(4):
                continue
            value, scale = _WORD_VALUE[m.group(3).lower()], m.group(4)
        found.add(_scaled(str(value), scale))
    for m in _MONTH.finditer(text):
        name = m.group(1).lower()
        # "may" is a verb far more often than a month: count it only right next to a number.
        if name == "may" and not (re.match(r"\s+\d", text[m.end():]) or re.search(r"\d\s+$", text[: m.start()])):
            continue
        found.add(f"month:{[x[:3] for x in _MONTHS].index(name[:3]) + 1}")
    if generous:
        for m in re.finditer(r"\b\d{4}-(\d{2})-\d{2}\b", text):
            found.add(f"month:{int(m.group(1))}")
    return found


def _source_text(p: Passage) -> str:
    """What a sentence citing this passage may draw on: its text, title and section."""
    return f"{p.text}\n{p.title}\n{p.section}"


def best_sentence(answer_sentence: str, passage: Passage) -> tuple[float, Sentence] | None:
    """The sentence of a passage that best matches an answer sentence (token overlap)."""
    plain = _MARK.sub(" ", answer_sentence)
    cands = sentences(passage)
    if not cands:
        return None
    return max(((token_containment(plain, s.text), s) for s in cands), key=lambda x: x[0])


def _adopt(sent: str, near: list[int], passages: list[Passage]) -> int | None:
    """The passage among `near` that an uncited sentence quotes almost word for word, if any."""
    if len(set(tokenize(_MARK.sub(" ", sent)))) < 4:
        return None
    for n in near:
        hit = best_sentence(sent, passages[n - 1])
        if hit and hit[0] >= QUOTE_OVERLAP:
            return n
    return None


def ground(text: str, passages: list[Passage], adopt_quotes: bool = True) -> Grounded:
    """Check a generated answer against the numbered passages it was given ([1] = passages[0]).

    With adopt_quotes, an uncited sentence that is a near-verbatim quote of a passage cited by
    the nearest cited sentence keeps that citation (with a warning): small models copy two or
    three sentences of one passage and mark only the last, and the quote itself is the proof.
    """
    k = len(passages)
    kept: list[tuple[str, list[int]]] = []
    unsupported: list[str] = []
    warnings: list[str] = []
    seen: set[str] = set()
    sents = split_answer(text)
    cited_by = [[n for n in markers(s) if 1 <= n <= k] for s in sents]
    for i, sent in enumerate(sents):
        cited = markers(sent)
        valid = cited_by[i]
        if len(valid) < len(cited):
            bad = ", ".join(f"[{n}]" for n in cited if n not in valid)
            warnings.append(f"removed citation {bad}: only {k} passage(s) were given")
        if not valid and adopt_quotes and not cited:
            after = next((c for c in cited_by[i + 1:] if c), [])
            before = next((c for c in reversed(cited_by[:i]) if c), [])
            n = _adopt(sent, after + before, passages)
            if n is not None:
                valid = [n]
                warnings.append(f"an uncited sentence quotes passage [{n}] word for word; cited it: {sent[:60]}")
        # A question is not an answer: small models sometimes echo the question and cite a passage.
        if not valid or _MARK.sub(" ", sent).strip().endswith("?"):
            unsupported.append(sent)
            continue
        sources = numbers(" ".join(_source_text(passages[n - 1]) for n in valid), generous=True)
        if numbers(sent) - sources:
            unsupported.append(sent)
            continue
        key = " ".join(tokenize(_MARK.sub(" ", sent)))
        if key in seen:  # small models repeat themselves; a repeat adds nothing
            continue
        seen.add(key)
        kept.append((sent, valid))
    if unsupported:
        warnings.append(f"{len(unsupported)} sentence(s) removed: no valid citation or a number not in the cited passages")

    # Renumber in order of first use; each passage's quote is its sentence that best
    # matches any answer sentence citing it.
    order: dict[int, int] = {}
    best: dict[int, tuple[float, Sentence]] = {}
    for sent, valid in kept:
        for n in valid:
            order.setdefault(n, len(order) + 1)
            hit = best_sentence(sent, passages[n - 1])
            if hit and (n not in best or hit[0] > best[n][0]):
                best[n] = hit
    citations = []
    for n, new in order.items():
        if n in best:
            citations.append(cite(new, best[n][1], best[n][0]))
        else:  # a passage with no sentence text; still a page to point at
            p = passages[n - 1]
            citations.append(Citation(new, p.doc_id, p.title, p.page_start, p.page_label, p.section, " ".join(p.text.split()), 0.0, p.version, p.id))
    out = []
    for sent, valid in kept:
        body = _MARK.sub("", sent).strip()
        body = re.sub(r"\s+([.,;:!?])", r"\1", body)
        # Markers follow the sentence, as in extractive answers ("… ten years. [1]").
        out.append(f"{body} " + "".join(f"[{m}]" for m in sorted(order[n] for n in valid)))
    return Grounded(" ".join(out), citations, unsupported, warnings)
