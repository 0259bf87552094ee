"""Unit tests for evals/metrics.py on hand-made data."""
from __future__ import annotations

import math

import pytest

from evals import metrics as M


@pytest.mark.parametrize("a, b", [
    ("10 years", "ten years"),
    ("5%", "5 per cent"),
    ("5%", "five percent"),
    ("73 %", "73%"),
    ("1,000,000 tCO2e", "1000000 tco2e"),
    ("25 per cent", "twenty-five per cent"),
    ("205", "two hundred and five"),
    ("100000", "one hundred thousand"),
    ("2013–2020", "2013-2020"),  # en dash
    ("the Party’s “approval”", "the Party's \"approval\""),
    ("  Article   6.2 ", "article 6.2"),
])
def test_normalise_equal_forms(a, b):
    assert M.normalise(a) == M.normalise(b)


def test_normalise_keeps_separate_numbers_apart():
    assert M.normalise("between five and ten years") == "between 5 and 10 years"
    assert M.normalise("ten and the rest") == "10 and the rest"  # a trailing 'and' is not eaten
    assert M.normalise("2013, 2014") == "2013, 2014"  # a list of years is not a thousands group


def test_contains_fact_boundaries_and_markers():
    assert M.contains_fact("A crediting period of ten years [1].", "10 years")
    assert not M.contains_fact("after 110 years", "10 years")
    assert M.contains_fact("less than five percent of the total", "5%")
    assert M.contains_fact("FY2013 levels [2]", "fy2013")


def test_key_fact_recall():
    assert M.key_fact_recall("73% by FY2040 compared with FY2013", ["73%", "FY2013"]) == 1.0
    assert M.key_fact_recall("73% by FY2040", ["73%", "FY2013"]) == 0.5
    assert M.key_fact_recall("anything", []) is None


def test_exact_match_and_contains_answer():
    assert M.exact_match("Zero [1].", "Zero.") == 1.0
    assert M.exact_match("On 26 August 2022", "On August 26, 2022.") == 0.0
    assert M.exact_match("x", "a gold answer that is clearly longer than five words") is None
    assert M.contains_answer("The net balance is zero for the period. [1]", "Zero.") == 1.0
    assert M.contains_answer("The balance is 10", "Zero.") == 0.0


RET = [("a", 3, 3), ("b", 1, 2), ("a", 7, 8), ("c", 5, 5)]


def test_page_recall_hit_and_doc_recall():
    gold = {("a", 8), ("b", 2)}
    assert M.page_recall_at_k(RET, gold, 1) == 0.0
    assert M.page_recall_at_k(RET, gold, 2) == 0.5  # b spans 1..2
    assert M.page_recall_at_k(RET, gold, 5) == 1.0
    assert M.page_hit_at_k(RET, gold, 2) == 1.0
    assert M.doc_recall_at_k(RET, {"a", "z"}, 5) == 0.5
    assert M.page_recall_at_k(RET, set(), 5) is None


def test_mrr_and_ndcg():
    gold = {("a", 8)}
    assert M.mrr_at_k(RET, gold, 10) == pytest.approx(1 / 3)
    assert M.mrr_at_k(RET, {("z", 1)}, 10) == 0.0
    assert M.ndcg_at_k(RET, gold, 10) == pytest.approx(1 / math.log2(4))
    # Two gold pages hit at ranks 2 and 3; ideal puts them at 1 and 2.
    both = {("a", 8), ("b", 1)}
    ideal = 1 + 1 / math.log2(3)
    assert M.ndcg_at_k(RET, both, 10) == pytest.approx((1 / math.log2(3) + 1 / math.log2(4)) / ideal)


def test_ndcg_does_not_reward_overlapping_chunks_twice():
    ret = [("a", 1, 2), ("a", 2, 3)]
    assert M.ndcg_at_k(ret, {("a", 2)}, 10) == 1.0
    assert M.ndcg_at_k(ret, {("a", 2)}, 10) <= 1.0


def test_retrieval_metrics_keys():
    m = M.retrieval_metrics(RET, {("a", 3)})
    assert m["page_recall@1"] == 1.0 and m["mrr@10"] == 1.0 and m["ndcg@10"] == 1.0
    assert {"page_recall@5", "page_recall@10", "doc_recall@5", "page_hit@1"} <= set(m)


def test_citation_metrics():
    pages = {("a", 1): "the quote is here", ("a", 2): "other"}
    ok = lambda d, p, q: q in pages.get((d, p), "")  # noqa: E731
    cited = [("a", 1, "quote is"), ("a", 2, "quote is")]
    assert M.citation_validity(cited, ok) == 0.5
    assert M.citation_validity([], ok) is None
    assert M.citation_precision([("a", 1), ("a", 2), ("a", 1)], {("a", 1)}) == 0.5
    assert M.citation_recall([("a", 1)], {("a", 1), ("b", 4)}) == 0.5
    assert M.citation_precision([], {("a", 1)}) is None


def test_percentiles_and_latency():
    assert M.percentile([1, 2, 3, 4, 5], 50) == 3
    assert M.percentile([0, 10], 95) == pytest.approx(9.5)
    assert M.percentile([], 50) is None
    s = M.latency_stats([{"retrieval_ms": 10, "total_ms": 20}, {"retrieval_ms": 30, "total_ms": 40}])
    assert s["retrieval_ms_p50"] == 20 and s["total_ms_p95"] == 39


def test_aggregate_and_primary():
    recs = [
        {"answerable": True, "abstained": False, "timings": {"total_ms": 5}, "metrics": {"key_fact_recall": 1.0, "page_recall@5": 1.0}},
        {"answerable": True, "abstained": True, "timings": {"total_ms": 7}, "metrics": {"key_fact_recall": 0.0, "page_recall@5": 0.5}},
        {"answerable": False, "abstained": True, "timings": {"total_ms": 9}, "metrics": {"citation_validity": None}},
    ]
    agg = M.aggregate(recs)
    assert agg["key_fact_recall"] == 0.5 and agg["page_recall@5"] == 0.75
    assert agg["primary"] == pytest.approx(0.625)
    assert agg["abstain_recall"] == 1.0 and agg["false_abstain_rate"] == 0.5
    assert agg["citation_validity"] is None
    assert (agg["n"], agg["n_answerable"], agg["n_unanswerable"]) == (3, 2, 1)
    assert agg["answerability_auc"] is None  # no record carries a confidence


def test_answerability_auc_ranks_answerable_above_unanswerable():
    """AUC is the share of (answerable, unanswerable) pairs ordered right by confidence; ties count half."""
    assert M.roc_auc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert M.roc_auc([0.1, 0.9], [True, False]) == 0.0
    assert M.roc_auc([0.5, 0.5, 0.7, 0.2], [True, False, True, False]) == pytest.approx(0.875)
    assert M.roc_auc([0.3], [True]) is None
    recs = [{"answerable": y, "abstained": False, "timings": {}, "metrics": {}, "confidence": c}
            for y, c in [(True, 0.9), (False, 0.4), (True, 0.3), (False, None)]]
    assert M.aggregate(recs)["answerability_auc"] == 0.5  # the record without a confidence is left out
