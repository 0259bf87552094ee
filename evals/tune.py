"""Tune the answer-selection settings on the dev split: gather each question once, replay the answer step.

`grid` prints key-fact recall, citation precision, abstain recall and false-abstain
rate for a grid of `select_relative`, `select_floor` and `abstain_threshold` values. Only dev rows
are accepted (the split rule refuses test ids), so the chosen settings never see test answers.
"""
from __future__ import annotations

import itertools

from evals import metrics as M
from evals.dataset import CorpusPages, Question
from evals.runner import score_answer
from evals.split import split_of
from ingest.errors import CarbonQAError


def gather_all(assistant, questions: list[Question], progress: bool = True) -> list:
    """(question, Turn with evidence) for every dev question: the expensive part, done once."""
    from tqdm import tqdm

    test = [q.id for q in questions if split_of(q.id) == "test"]
    if test:
        raise CarbonQAError(f"{len(test)} question(s) belong to the test split (e.g. {test[0]}): tune on dev only")
    out = []
    for q in tqdm(questions, desc="gather", unit="q", disable=not progress, dynamic_ncols=True):
        turn = assistant.prepare({"question": q.question, "history": list(q.history)})
        out.append((q, assistant.retrieve_and_score(turn)))
    return out


def rejudge_out_of_fold(turns: list, model, table_path=None) -> None:
    """Re-score gathered dev turns with out-of-fold sentence logits (their question unseen in training).

    In-sample probabilities would flatter the selection settings: the sentence labels come from the
    same key facts the metric counts. The table is the one `carbonqa eval train` writes.
    """
    import numpy as np

    from assistant.answering.scoring import judgement
    from evals import train as T

    table = T.read_table(table_path) if table_path else T.read_table()
    oof = np.nan_to_num(T.out_of_fold_logits(table), nan=-10.0)
    i = 0
    for _q, turn in turns:
        ev = turn.evidence
        n = len(ev.candidates)
        lg = oof[i:i + n]
        i += n or 1
        j = judgement(model, ev.candidates, ev.features, lg, ev.passages)
        ev.scored, ev.support, ev.lacks_value = j.scored, j.support, j.lacks_value
        ev.sentence_p, ev.passage_scores = j.sentence_p, j.passage_scores
    if i != len(table.y):
        raise CarbonQAError("the gathered turns do not match the feature table: rerun `carbonqa eval train`")


def replay(assistant, turns: list, corpus: CorpusPages, **overrides) -> dict:
    """Aggregate metrics of the answer step under settings overrides, over gathered turns."""
    base = assistant.settings
    assistant.settings = base.model_copy(update=overrides)
    try:
        records = []
        for q, turn in turns:
            ans = assistant.respond(turn)
            records.append({"id": q.id, "type": q.type, "answerable": q.answerable, "abstained": ans.abstained,
                            "confidence": ans.confidence,
                            "timings": ans.timings, "error": "", "metrics": score_answer(q, ans, corpus)})
    finally:
        assistant.settings = base
    o = M.aggregate(records)
    keys = ("key_fact_recall", "citation_precision", "citation_recall", "abstain_recall", "false_abstain_rate",
            "answerability_auc", "primary")
    return {k: o.get(k) for k in keys}


def grid(assistant, turns: list, corpus: CorpusPages, **axes) -> list[dict]:
    """Every combination of the given setting values with its metrics."""
    names = list(axes)
    rows = []
    for values in itertools.product(*(axes[n] for n in names)):
        over = dict(zip(names, values))
        rows.append({**over, **replay(assistant, turns, corpus, **over)})
    return rows
