"""The committed answerability model is the one the committed dev feature table produces."""
from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answering.answerability import ARTIFACT
from evals import train as T
from evals.split import split_of


def test_committed_model_is_refit_from_the_dev_table():
    """Refitting the table gives the same weights and threshold (to rounding), and the same CV figures."""
    committed = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    table = T.read_table()
    from evals import rerank_train as R

    model, report = T.fit(table, R.read(), max_false_abstain=committed["meta"]["cv"]["max_false_abstain"])
    fresh = model.to_json()
    for key in ("mean", "scale", "coef", "q_coef"):
        np.testing.assert_allclose(fresh[key], committed[key], atol=2e-4, err_msg=key)
    assert fresh["intercept"] == pytest.approx(committed["intercept"], abs=2e-4)
    assert fresh["threshold"] == pytest.approx(committed["threshold"], abs=2e-4)
    assert report == committed["meta"]["cv"]


def test_dev_table_holds_only_dev_questions():
    """No test-split question contributed a training row."""
    table = T.read_table()
    assert table.qids and all(split_of(q) == "dev" for q in set(table.qids))
    assert set(np.unique(table.y)) == {0, 1}


def test_label_rule():
    """A sentence on a gold page overlapping the quote is positive; the same words on another page are not."""
    from evals.dataset import Evidence, Question

    q = Question("d1", "How long is the crediting period?", "number", "10 years", ("10 years",),
                 (Evidence("doc-a", 4, "the crediting period shall be 10 years renewable twice"),))
    assert T.label(q, "doc-a", 4, "The crediting period shall be 10 years, renewable twice.") == 1
    assert T.label(q, "doc-b", 4, "The crediting period shall be 10 years, renewable twice.") == 0
    assert T.label(q, "doc-a", 9, "Projects start after registration.") == 0
    una = Question("d2", "What is the fee?", "unanswerable", "The corpus does not say.", (), ())
    assert T.label(una, "doc-a", 4, "The fee is USD 10.") == 0
