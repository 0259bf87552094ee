"""The passage reranker: features, ordering, its training table and the committed weights."""
from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answering.answerability import ARTIFACT, Model
from assistant.answering.features import FEATURES, Candidate
from assistant.answering.quotes import Sentence
from assistant.answering.rerank import (PASSAGE_FEATURES, passage_scores, rerank, restack, static_features,
                                        with_sentence_p)
from assistant.models import Passage
from evals import rerank_train as R
from evals import train as T
from ingest.errors import CarbonQAError


def _passage(pid: str, page: int = 3) -> Passage:
    """A passage of one sentence."""
    return Passage(pid, "doc-a", "Doc A", f"Sentence of {pid} long enough to judge here.", page, page, "", "1 Fees",
                   1.0)


def _cands(passages):
    """One candidate sentence per passage."""
    return [Candidate(Sentence(p.text, p.page_start, "", p.section, p, 0), rank=k) for k, p in enumerate(passages)]


def _weights(**w):
    """Reranker weights on raw features (mean 0, scale 1)."""
    n = len(PASSAGE_FEATURES)
    coef = np.zeros(n)
    for name, v in w.items():
        coef[PASSAGE_FEATURES.index(name)] = v
    return {"mean": np.zeros(n), "scale": np.ones(n), "coef": coef}


def test_a_passage_whose_sentence_states_the_answer_moves_up():
    """Weighted on the best sentence probability, the third passage (p 0.9) leads; retrieval order breaks ties."""
    ps = [_passage("a"), _passage("b"), _passage("c")]
    cands = _cands(ps)
    X = np.zeros((3, len(FEATURES)))
    probs = np.array([0.1, 0.1, 0.9])
    ranked = rerank(ps, passage_scores(ps, cands, X, probs, _weights(log_p1=1.0)))
    assert [p.id for p in ranked] == ["c", "a", "b"]


def test_no_reranker_keeps_retrieval_order():
    """A model without passage weights (an older artifact) leaves the order alone."""
    ps = [_passage("a"), _passage("b")]
    assert rerank(ps, None) == ps


def test_features_of_a_passage_without_judged_sentences():
    """A passage none of whose sentences was judged reads judged 0 and the floor probability."""
    ps = [_passage("a"), _passage("b")]
    X = np.zeros((1, len(FEATURES)))
    X[0, FEATURES.index("dense")] = 0.7
    static, rows = static_features(ps, [0], X)
    P = with_sentence_p(static, rows, np.array([0.5]))
    col = {f: i for i, f in enumerate(PASSAGE_FEATURES)}
    assert P.shape == (2, len(PASSAGE_FEATURES))
    assert P[0, col["judged"]] == 1 and P[1, col["judged"]] == 0
    assert P[0, col["max_dense"]] == pytest.approx(0.7) and P[1, col["max_dense"]] == 0
    assert P[0, col["rank"]] == 1.0 and P[1, col["rank"]] == 0.5
    assert P[0, col["log_p1"]] == pytest.approx(np.log(0.5 + 1e-4)) and P[1, col["log_p1"]] < -9


def test_passage_table_round_trip(tmp_path):
    """The table reads back as written; one built for other features is refused with the file named."""
    t = R.PassageTable(["d1", "d1"], [(0,), ()], [1, 1], [(0, 1), ()], np.arange(22, dtype=float).reshape(2, 11))
    R.write(t, tmp_path / "p.csv.gz")
    back = R.read(tmp_path / "p.csv.gz")
    assert back.qids == t.qids and back.gold == t.gold and back.cands == t.cands and back.n_gold == t.n_gold
    np.testing.assert_allclose(back.static, t.static)
    (tmp_path / "bad.csv.gz").write_bytes(__import__("gzip").compress(b"qid,gold,n_gold,cands,rank\n"))
    with pytest.raises(CarbonQAError, match="bad.csv.gz"):
        R.read(tmp_path / "bad.csv.gz")


def test_page_recall_counts_each_gold_page_once():
    """Two passages covering the same gold page count once; the second gold page is missed at k=2."""
    t = R.PassageTable(["d1"] * 3, [(0,), (0,), (1,)], [2] * 3, [(), (), ()], np.zeros((3, 11)))
    assert R.page_recall(t, np.array([3.0, 2.0, 1.0]), ks=(2, 3)) == {"@2": 0.5, "@3": 1.0}
    assert R.page_recall(t, np.array([3.0, 1.0, 2.0]), ks=(2,)) == {"@2": 1.0}


def test_committed_reranker_is_refit_from_the_dev_tables():
    """The committed passage weights are what the committed sentence and passage tables produce."""
    committed = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    model, report = T.fit(T.read_table(), R.read(), max_false_abstain=committed["meta"]["cv"]["max_false_abstain"])
    fresh = model.to_json()["passage"]
    assert committed["passage"]["features"] == list(PASSAGE_FEATURES)
    for key in ("mean", "scale", "coef"):
        np.testing.assert_allclose(fresh[key], committed["passage"][key], atol=2e-4, err_msg=key)
        np.testing.assert_allclose(fresh["stack"][key], committed["passage"]["stack"][key], atol=2e-4, err_msg=key)
    assert fresh["stack"]["intercept"] == pytest.approx(committed["passage"]["stack"]["intercept"], abs=2e-4)
    # a sentence in a passage ranked below the best one is less likely the answer: the gap's weight is positive
    assert committed["passage"]["stack"]["coef"][1] > 0
    # the reranker must beat retrieval out of fold, or it should not be shipped
    rr = report["rerank"]
    assert rr["cv_reranked_page_recall"]["@5"] > rr["retrieval_page_recall"]["@5"]


def test_a_reranker_for_other_features_is_refused():
    """An artifact whose passage block names other features is refused, not misapplied."""
    obj = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    obj["passage"]["features"] = ["rank"]
    with pytest.raises(CarbonQAError, match="passage reranker"):
        Model.from_json(obj)


def test_restack_favours_the_sentence_of_the_best_passage():
    """Two sentences the sentence model rates alike: the one in the passage the reranker prefers wins."""
    ps = [_passage("a"), _passage("b")]
    cands = _cands(ps)
    X = np.zeros((2, len(FEATURES)))
    X[1, FEATURES.index("section")] = 1.0  # only passage b's heading matches the question
    w = _weights(max_section=1.0)
    w["stack"] = {"mean": [0.0, 0.0], "scale": [1.0, 1.0], "coef": [1.0, 1.0], "intercept": 0.0}
    probs = np.array([0.5, 0.5])
    z = passage_scores(ps, cands, X, probs, w)
    out = restack(ps, cands, probs, z, w["stack"])
    assert out[1] == pytest.approx(0.5) and out[0] < 0.5
    np.testing.assert_array_equal(restack(ps, cands, probs, z, None), [0.5, 0.5])
