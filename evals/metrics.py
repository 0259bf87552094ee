"""Pure metric functions: retrieval, answer text, citations, abstention, latency, aggregation.

Every function takes plain values (strings, lists of (doc, page) pairs) so each can be tested
on hand-made data. Per-question functions return a number, or None where the metric does not
apply to that question; `aggregate` averages the numbers and ignores the Nones.
"""
from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence

import numpy as np

K_VALUES = (1, 5, 10)
EXACT_MATCH_MAX_WORDS = 5

Span = tuple[str, int, int]  # (doc_id, page_start, page_end) of one retrieved passage
PageRef = tuple[str, int]  # (doc_id, page)

# --- text normalisation -------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_QUOTES = {**dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u00b4`"), "'"),
           **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"')}
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUM_WORDS = {w: i for i, w in enumerate(_UNITS)} | {w: 10 * i for i, w in enumerate(_TENS) if w}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6}
_NUM_ALT = "|".join(sorted(list(_NUM_WORDS) + list(_SCALES), key=len, reverse=True))
_NUM_RUN = re.compile(rf"\b(?:{'|'.join(_NUM_WORDS)})(?:[\s-]+(?:and[\s-]+)?(?:{_NUM_ALT}))*\b", re.I)
_THOUSANDS = re.compile(r"(?<=\d)[,\u202f\u00a0'](?=\d{3}(?!\d))")
_PERCENT = re.compile(r"(?<=\d)\s*(?:%|per\s*cent\b|percent\b|pct\b)", re.I)
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def _words_to_number(run: str) -> str:
    """'twenty-five' -> '25', 'two hundred' -> '200'; 'five and ten' -> '5 and 10'."""
    parts = [p for p in re.split(r"[\s-]+", run.lower()) if p]
    total = current = prev_scale = 0
    last = None
    for p in parts:
        if p == "and":
            last = last if last == "scale" else "and"
            continue
        if p in _SCALES:
            after_scale = last == "scale" and _SCALES[p] > prev_scale  # 'hundred thousand'
            if last not in ("unit", "tens") and not after_scale:
                return _each_word(run)
            current = max(current, 1) * _SCALES[p]
            prev_scale = _SCALES[p]
            if _SCALES[p] >= 1000:
                total, current = total + current, 0
            last = "scale"
            continue
        v = _NUM_WORDS[p]
        # Only tens + unit ('twenty five') or scale + rest ('hundred and five') combine;
        # anything else ('five and ten') is several numbers.
        if last in ("unit", "and") or (last == "tens" and (v >= 10 or v == 0)):
            return _each_word(run)
        current += v
        last = "tens" if v >= 20 else "unit"
    return str(total + current)


def _each_word(run: str) -> str:
    """Fallback for a run of several numbers: convert each number word on its own."""
    def one(m: re.Match) -> str:
        w = m.group(0).lower()
        return str(_NUM_WORDS[w]) if w in _NUM_WORDS else m.group(0)

    return re.sub(r"[a-z]+", one, run, flags=re.I)


def normalise(text: str) -> str:
    """Fold case, unicode dashes/quotes, whitespace and number formats so equal facts compare equal.

    '5 per cent' == '5%', 'ten years' == '10 years', '1,000,000' == '1000000', '73 %' == '73%'.
    """
    t = unicodedata.normalize("NFKC", text or "").translate(_DASHES).translate(_QUOTES)
    t = _THOUSANDS.sub("", t)
    t = _NUM_RUN.sub(lambda m: _words_to_number(m.group(0)), t)
    t = _PERCENT.sub("%", t)
    return " ".join(t.lower().split())


def strip_markers(answer: str) -> str:
    """The answer text without its citation markers ([1], [2, 3])."""
    return _MARKER.sub("", answer or "").strip()


def contains_fact(answer: str, fact: str) -> bool:
    """True when the normalised fact occurs in the normalised answer, not inside a longer token."""
    a, f = normalise(strip_markers(answer)), normalise(fact)
    if not f:
        return False
    # Word-ish boundaries so '10 years' does not match inside '110 years'.
    return re.search(rf"(?<![a-z0-9]){re.escape(f)}(?![a-z0-9])", a) is not None


def key_fact_recall(answer: str, facts: Sequence[str]) -> float | None:
    """Share of key facts the answer text contains (None when the row has none)."""
    if not facts:
        return None
    return sum(contains_fact(answer, f) for f in facts) / len(facts)


def _squad_norm(text: str) -> str:
    """SQuAD-style answer normalisation on top of `normalise`: punctuation and articles go."""
    t = normalise(strip_markers(text))
    t = "".join(" " if c in string.punctuation and c != "%" else c for c in t)
    return " ".join(w for w in t.split() if w not in ("a", "an", "the"))


def exact_match(answer: str, gold: str) -> float | None:
    """1.0 when the normalised answer equals a short (<= 5 words) gold answer; None for longer golds."""
    if len(gold.split()) > EXACT_MATCH_MAX_WORDS:
        return None
    return float(_squad_norm(answer) == _squad_norm(gold))


def contains_answer(answer: str, gold: str) -> float | None:
    """1.0 when a short gold answer occurs inside the answer (extractive answers are sentences)."""
    if len(gold.split()) > EXACT_MATCH_MAX_WORDS:
        return None
    g = _squad_norm(gold)
    return float(bool(g) and re.search(rf"(?<![a-z0-9]){re.escape(g)}(?![a-z0-9])", _squad_norm(answer)) is not None)


# --- retrieval -------------------------------------------------------------------------------

def _covers(span: Span, ref: PageRef) -> bool:
    """True when a passage spans the gold page."""
    return span[0] == ref[0] and span[1] <= ref[1] <= span[2]


def page_recall_at_k(retrieved: Sequence[Span], gold: Iterable[PageRef], k: int) -> float | None:
    """Share of gold (doc, page) pairs covered by the top-k passages (multi-hit recall)."""
    gold = set(gold)
    if not gold:
        return None
    top = retrieved[:k]
    return sum(any(_covers(s, g) for s in top) for g in gold) / len(gold)


def page_hit_at_k(retrieved: Sequence[Span], gold: Iterable[PageRef], k: int) -> float | None:
    """1.0 when any gold (doc, page) is covered by the top-k passages (single-hit)."""
    gold = set(gold)
    if not gold:
        return None
    return float(any(_covers(s, g) for s in retrieved[:k] for g in gold))


def doc_recall_at_k(retrieved: Sequence[Span], gold_docs: Iterable[str], k: int) -> float | None:
    """Share of gold documents that appear among the top-k passages."""
    gold_docs = set(gold_docs)
    if not gold_docs:
        return None
    docs = {s[0] for s in retrieved[:k]}
    return len(gold_docs & docs) / len(gold_docs)


def mrr_at_k(retrieved: Sequence[Span], gold: Iterable[PageRef], k: int = 10) -> float | None:
    """Reciprocal rank of the first passage that covers a gold page (0 if none in the top-k)."""
    gold = set(gold)
    if not gold:
        return None
    for rank, s in enumerate(retrieved[:k], 1):
        if any(_covers(s, g) for g in gold):
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[Span], gold: Iterable[PageRef], k: int = 10) -> float | None:
    """Binary nDCG on (doc, page) hits; each gold page earns gain once, so overlapping chunks don't inflate it."""
    gold = set(gold)
    if not gold:
        return None
    credited: set[PageRef] = set()
    dcg = 0.0
    for rank, s in enumerate(retrieved[:k], 1):
        new = {g for g in gold if g not in credited and _covers(s, g)}
        if new:
            credited |= new
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def retrieval_metrics(retrieved: Sequence[Span], gold: Iterable[PageRef],
                      ks: Sequence[int] = K_VALUES) -> dict[str, float | None]:
    """All retrieval metrics of one question, keyed like 'page_recall@5'."""
    gold = set(gold)
    out: dict[str, float | None] = {}
    for k in ks:
        out[f"page_recall@{k}"] = page_recall_at_k(retrieved, gold, k)
        out[f"page_hit@{k}"] = page_hit_at_k(retrieved, gold, k)
    out["doc_recall@5"] = doc_recall_at_k(retrieved, {d for d, _ in gold}, 5)
    out["mrr@10"] = mrr_at_k(retrieved, gold, 10)
    out["ndcg@10"] = ndcg_at_k(retrieved, gold, 10)
    return out


# --- citations ---------------------------------------------------------------------------------

def citation_validity(cited: Sequence[tuple[str, int, str]], quote_ok: Callable[[str, int, str], bool]) -> float | None:
    """Share of (doc, page, quote) citations whose quote is verbatim on the cited page."""
    if not cited:
        return None
    return sum(bool(quote_ok(d, p, q)) for d, p, q in cited) / len(cited)


def citation_precision(cited_pages: Iterable[PageRef], gold: Iterable[PageRef]) -> float | None:
    """Share of distinct cited (doc, page) pairs that are gold evidence pages."""
    cited, gold = set(cited_pages), set(gold)
    if not cited or not gold:
        return None
    return len(cited & gold) / len(cited)


def citation_recall(cited_pages: Iterable[PageRef], gold: Iterable[PageRef]) -> float | None:
    """Share of gold evidence pages that the answer cites."""
    cited, gold = set(cited_pages), set(gold)
    if not gold:
        return None
    return len(cited & gold) / len(gold)


# --- latency and aggregation -------------------------------------------------------------------

def percentile(values: Sequence[float | None], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100, numpy's default method), None for no values."""
    v = [x for x in values if x is not None]
    return float(np.percentile(v, q)) if v else None


def latency_stats(timings: Sequence[dict[str, float]]) -> dict[str, float | None]:
    """p50/p95 of retrieval_ms and total_ms."""
    out: dict[str, float | None] = {}
    for key in ("retrieval_ms", "total_ms"):
        vals = [t.get(key) for t in timings if t.get(key) is not None]
        for q in (50, 95):
            p = percentile(vals, q)
            out[f"{key}_p{q}"] = round(p, 1) if p is not None else None
    return out


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    v = [x for x in values if x is not None]
    return sum(v) / len(v) if v else None


def primary_score(m: dict[str, float | None]) -> float | None:
    """The headline number: mean of key-fact recall and page recall@5 (answer and retrieval quality)."""
    kf, pr = m.get("key_fact_recall"), m.get("page_recall@5")
    if kf is None or pr is None:
        return kf if pr is None else pr
    return (kf + pr) / 2


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """ROC AUC of scores for labels (ties count half); None when a class is absent."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def aggregate(records: Sequence[dict]) -> dict[str, float | int | None]:
    """Means of each per-question metric, abstention rates, latency percentiles and the primary score.

    A record is {"answerable": bool, "abstained": bool, "timings": {...}, "metrics": {name: value|None}},
    optionally with "confidence" (the answer's P(answerable)) for the answerability ROC AUC.
    """
    names: list[str] = []
    for r in records:
        names += [k for k in r["metrics"] if k not in names]
    out: dict[str, float | int | None] = {
        n: _round(mean(r["metrics"][n] for r in records if n in r["metrics"])) for n in names
    }
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]
    out["abstain_recall"] = _round(mean(float(r["abstained"]) for r in una))
    out["false_abstain_rate"] = _round(mean(float(r["abstained"]) for r in ans))
    # How well the answer's confidence ranks answerable above unanswerable questions, whatever the threshold.
    scored = [r for r in records if r.get("confidence") is not None]
    out["answerability_auc"] = _round(roc_auc([r["confidence"] for r in scored], [r["answerable"] for r in scored]))
    out.update(latency_stats([r["timings"] for r in records]))
    out["primary"] = _round(primary_score(out))
    out["n"], out["n_answerable"], out["n_unanswerable"] = len(records), len(ans), len(una)
    out["n_errors"] = sum(bool(r.get("error")) for r in records)
    return out


def _round(x: float | None) -> float | None:
    """Four decimals keep metrics.json readable and diffs quiet."""
    return None if x is None else round(x, 4)
