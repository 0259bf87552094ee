"""The sentence model's fit: plain logistic regression without the listwise term, better ranking with it."""
from __future__ import annotations

import numpy as np

from evals.sentence_fit import fit_sentence


def _questions(n_q: int, seed: int):
    """Synthetic questions: one positive among 8 candidates; feature 0 ranks within a question,
    but each question shifts it by a large offset, so across questions it separates poorly."""
    rng = np.random.default_rng(seed)
    xs, ys, qids = [], [], []
    for q in range(n_q):
        shift = rng.normal(0, 3.0)
        pos = rng.integers(8)
        for i in range(8):
            within = (1.5 if i == pos else 0.0) + rng.normal(0, 0.5)
            # feature 1: tied to the label less tightly, but on one scale across questions
            xs.append([shift + within, (0.8 if i == pos else 0.0) + rng.normal(0, 1.0)])
            ys.append(int(i == pos))
            qids.append(f"q{q}")
    return np.array(xs), np.array(ys), qids


def _top1(X, y, qids, fitted) -> float:
    """Share of questions whose best-scored candidate is the positive."""
    mean, scale, w, b = fitted
    s = ((X - mean) / scale) @ w + b
    hits = []
    for q in dict.fromkeys(qids):
        idx = [i for i, k in enumerate(qids) if k == q]
        hits.append(y[idx][int(np.argmax(s[idx]))] == 1)
    return float(np.mean(hits))


def test_without_the_listwise_term_it_is_sklearns_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    X, y, qids = _questions(60, 0)
    mean, scale, w, b = fit_sentence(X, y, qids, C=1.0, listwise=0.0)
    lr = LogisticRegression(C=1.0, max_iter=5000).fit((X - mean) / scale, y)
    assert np.allclose(w, lr.coef_[0], atol=5e-3)
    assert abs(b - lr.intercept_[0]) < 5e-3


def test_listwise_term_ranks_the_answer_first_more_often_on_unseen_questions():
    X, y, qids = _questions(80, 1)
    Xt, yt, qt = _questions(200, 2)
    plain = _top1(Xt, yt, qt, fit_sentence(X, y, qids, listwise=0.0))
    ranked = _top1(Xt, yt, qt, fit_sentence(X, y, qids, listwise=3.0))
    assert ranked > plain + 0.2


def test_questions_without_a_positive_add_no_ranking_term():
    X, y, qids = _questions(40, 3)
    # a question with no positive row: the listwise term must ignore it, not divide by zero
    Xn = np.vstack([X, np.zeros((4, 2))])
    yn = np.concatenate([y, np.zeros(4, int)])
    mean, scale, w, b = fit_sentence(Xn, yn, qids + ["none"] * 4, listwise=1.0)
    assert np.all(np.isfinite(w)) and np.isfinite(b)
