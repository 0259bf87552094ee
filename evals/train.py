"""Train the answerability model on the dev split: `carbonqa eval train`.

1. `collect`: every dev question goes through the assistant's own gather step (rewrite,
   retrieval, candidate sentences, features), so training sees exactly what answering sees.
   Each candidate sentence is labelled 1 when it states the gold answer: it lies on a gold
   evidence page and overlaps a gold quote or contains a key fact (or, on another page of a
   gold document, contains a key fact). Every candidate of an unanswerable question is 0.
2. `fit`: a logistic sentence model (pointwise + listwise loss, `sentence_fit.py`), then a logistic question model
   on Q_FEATURES (best sentence logits and question-level facts) computed from out-of-fold
   logits, so its probabilities are calibrated on questions the sentence model did not see.
3. Two rules abstain whatever the question model says: the best sentence is under 3 % likely to
   state the answer, or a value is asked for and neither of the 2 best sentences states one. The
   threshold is then the highest one whose out-of-fold false-abstain rate (rules included) stays
   within `max_false_abstain`.
Rows whose id the split rule puts in test are refused: test is for reporting only.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answering.answerability import Model
from assistant.answering.features import FEATURES, Q_FEATURES, lacks_value, question_features
from assistant.retrieval.text import tokenize
from evals import rerank_train as R
from evals.dataset import Question, file_sha256
from evals.metrics import contains_fact
from evals.sentence_fit import fit_sentence
from evals.split import split_of
from ingest.errors import CarbonQAError

TABLE = Path(__file__).parent / "answerability" / "dev_features.csv.gz"
FOLDS = 5
C = 1.0
# A question whose best sentence is less than 3 % likely to state the answer abstains whatever the
# question model says: such a sentence is not an answer, and off-corpus questions land there.
MIN_SENTENCE_P = 0.03
# …and so does one that asks for a value (an amount, a date…) none of its 2 best sentences states.
# Both chosen on dev with out-of-fold logits: they raised abstain recall at the same false-abstain rate.
VALUE_TOP_K = 2
THRESHOLD_SHUFFLES = 9


def logit(p: float) -> float:
    """Inverse of the logistic function."""
    return float(np.log(p / (1.0 - p)))


@dataclass
class Table:
    """The training table: one row per (question, candidate sentence)."""

    qids: list[str]
    answerable: np.ndarray  # per row: the row's question is answerable
    X: np.ndarray
    y: np.ndarray


def label(q: Question, doc: str, page: int, text: str) -> int:
    """1 when the sentence states (part of) the gold answer of q."""
    if not q.answerable:
        return 0
    facts = any(contains_fact(text, f) for f in q.key_facts)
    if (doc, page) not in q.gold_pages:
        return int(doc in q.gold_docs and facts)
    toks = set(tokenize(text))
    for e in q.evidence:
        if (e.doc, e.page) != (doc, page):
            continue
        qt = set(tokenize(e.quote))
        if qt and toks and len(qt & toks) / min(len(qt), len(toks)) >= 0.5:
            return 1
    return int(facts)


def collect(assistant, questions: list[Question], progress: bool = True) -> tuple[Table, R.PassageTable]:
    """Features and labels of every candidate sentence, and of every retrieved passage, of every question."""
    from tqdm import tqdm

    test = [q.id for q in questions if split_of(q.id) == "test"]
    if test:
        raise CarbonQAError(f"{len(test)} question(s) belong to the test split (e.g. {test[0]}): train on dev only")
    zero = Model(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), np.zeros(len(FEATURES)), 0.0,
                 np.zeros(len(Q_FEATURES)), 0.0, 0.5, {})
    qids, ans, xs, ys = [], [], [], []
    passages = R.empty()
    for q in tqdm(questions, desc="features", unit="q", disable=not progress, dynamic_ncols=True):
        ev = assistant.gather(" ".join(q.question.split()), list(q.history), model=zero)
        for c, row in zip(ev.candidates, ev.features):
            s = c.sentence
            qids.append(q.id)
            ans.append(q.answerable)
            xs.append(row)
            ys.append(label(q, s.passage.doc_id, s.page, s.text))
        if not ev.candidates:  # the question still counts for abstention: one empty row
            qids.append(q.id)
            ans.append(q.answerable)
            xs.append(np.full(len(FEATURES), np.nan))
            ys.append(0)
        R.add_question(passages, q, ev)
    return Table(qids, np.array(ans, bool), np.vstack(xs), np.array(ys, int)), passages


def write_table(t: Table, path: Path = TABLE) -> None:
    """The table as gzipped CSV (deterministic bytes: no timestamp in the gzip header)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["qid", "answerable", "label", *FEATURES])
    for i, qid in enumerate(t.qids):
        w.writerow([qid, int(t.answerable[i]), t.y[i], *(f"{v:.6g}" for v in t.X[i])])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(buf.getvalue().encode(), mtime=0))


def read_table(path: Path = TABLE) -> Table:
    """Read a table written by write_table."""
    rows = list(csv.reader(io.StringIO(gzip.decompress(path.read_bytes()).decode())))
    head, body = rows[0], rows[1:]
    if tuple(head[3:]) != FEATURES:
        raise CarbonQAError(f"{path}: built for other features: rerun `carbonqa eval train --collect`")
    return Table([r[0] for r in body], np.array([r[1] == "1" for r in body]),
                 np.array([[float(v) for v in r[3:]] for r in body]).reshape(len(body), len(FEATURES)),
                 np.array([int(r[2]) for r in body]))


def _lacks_value(t: Table, logits: np.ndarray, ids: list[str]) -> np.ndarray:
    """Per question (in `ids` order): a value is asked for and none of the best sentences states one."""
    rows: dict[str, list[int]] = {}
    for i, qid in enumerate(t.qids):
        rows.setdefault(qid, []).append(i)
    out = []
    for qid in ids:
        ok = [i for i in rows[qid] if not np.isnan(t.X[i]).any()]
        out.append(lacks_value(t.X[ok], np.nan_to_num(logits[ok], nan=-10.0), VALUE_TOP_K) if ok else False)
    return np.array(out, bool)


def _question_rows(t: Table, logits: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per question: id, its Q_FEATURES vector, answerable."""
    rows: dict[str, list[int]] = {}
    for i, qid in enumerate(t.qids):
        rows.setdefault(qid, []).append(i)
    ids, qx, qy = [], [], []
    for qid, idx in rows.items():
        ok = [i for i in idx if not np.isnan(t.X[i]).any()]
        X = t.X[ok] if ok else np.zeros((0, len(FEATURES)))
        ids.append(qid)
        qx.append(question_features(X, np.nan_to_num(logits[ok], nan=-10.0)))
        qy.append(bool(t.answerable[idx[0]]))
    return ids, np.array(qx), np.array(qy, bool)


def _fit_question(qx: np.ndarray, qy: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic question model on standardised inputs, folded back to raw-input weights."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = qx.mean(axis=0), qx.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000).fit((qx - mean) / scale, qy)
    coef = lr.coef_[0] / scale
    return coef, float(lr.intercept_[0] - np.dot(coef, mean))


def out_of_fold_logits(t: Table, folds: int = FOLDS) -> np.ndarray:
    """Sentence logits for every row from a model that never saw the row's question."""
    from sklearn.model_selection import GroupKFold

    ok = ~np.isnan(t.X).any(axis=1)
    out = np.full(len(t.y), np.nan)
    groups = np.array(t.qids)
    idx = np.flatnonzero(ok)
    for tr, te in GroupKFold(n_splits=folds).split(idx, groups=groups[idx]):
        tr, te = idx[tr], idx[te]
        mean, scale, coef, b = fit_sentence(t.X[tr], t.y[tr], [t.qids[i] for i in tr], C)
        out[te] = ((t.X[te] - mean) / scale) @ coef + b
    return out


def choose_threshold(p_answerable: np.ndarray, answerable: np.ndarray, max_false_abstain: float,
                     forced: np.ndarray | None = None) -> float:
    """The highest threshold whose false-abstain rate on answerable questions stays within the bound.

    `forced` marks questions that abstain anyway (the best-sentence floor): they use up the budget first.
    """
    forced = np.zeros(len(answerable), bool) if forced is None else forced
    n = int(answerable.sum())
    k = int(np.floor(max_false_abstain * n)) - int((forced & answerable).sum())
    probs = np.sort(p_answerable[answerable & ~forced])
    if n == 0 or len(probs) == 0:
        return 0.5
    if k < 0:
        return 0.0
    return float(probs[k]) - 1e-6 if k < len(probs) else float(probs[-1])


def auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """ROC AUC (None when one class is absent)."""
    from sklearn.metrics import roc_auc_score

    return None if len(set(labels.tolist())) < 2 else round(float(roc_auc_score(labels, scores)), 4)


def fit(t: Table, pt: R.PassageTable | None = None, *, max_false_abstain: float = 0.04,
        source: dict | None = None) -> tuple[Model, dict]:
    """The final model (sentence, question and passage parts, threshold) and its cross-validated report."""
    oof = out_of_fold_logits(t)
    ids, qx, qy = _question_rows(t, oof)
    from sklearn.model_selection import StratifiedKFold

    q_coef, q_b = _fit_question(qx, qy)
    forced = (qx[:, 0] < logit(MIN_SENTENCE_P)) | _lacks_value(t, oof, ids)
    una = ~qy
    # One shuffle of ~300 questions into folds moves the threshold by up to 0.07 (dev abstain recall
    # 0.44-0.55): take the median over THRESHOLD_SHUFFLES and report the mean, not one lucky draw.
    runs = []
    for seed in range(THRESHOLD_SHUFFLES):
        q_oof = np.zeros(len(ids))
        for tr, te in StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(qx, qy):
            c, b0 = _fit_question(qx[tr], qy[tr])
            q_oof[te] = 1.0 / (1.0 + np.exp(-(qx[te] @ c + b0)))
        th = choose_threshold(q_oof, qy, max_false_abstain, forced)
        runs.append((th, q_oof))
    threshold = float(np.median([r[0] for r in runs]))
    abstain = [forced | (r[1] < threshold) for r in runs]
    report = {
        "questions": len(ids), "answerable": int(qy.sum()), "unanswerable": int(una.sum()),
        "pairs": int(len(t.y)), "positive_pairs": int(t.y.sum()),
        "cv_sentence_auc": auc(np.nan_to_num(oof, nan=-10.0), t.y),
        "cv_answerability_auc": round(float(np.mean([auc(r[1], qy) or 0.0 for r in runs])), 4),
        "cv_abstain_recall": round(float(np.mean([a[una].mean() for a in abstain])), 4) if una.any() else None,
        "cv_false_abstain": round(float(np.mean([a[qy].mean() for a in abstain])), 4) if qy.any() else None,
        "cv_threshold_range": [round(min(r[0] for r in runs), 4), round(max(r[0] for r in runs), 4)],
        "min_sentence_p": MIN_SENTENCE_P, "value_top_k": VALUE_TOP_K,
        "max_false_abstain": max_false_abstain,
    }
    passage = None
    if pt is not None:
        passage, report["rerank"] = R.fit(pt, t.qids, oof, t.y)
    ok = ~np.isnan(t.X).any(axis=1)
    mean, scale, coef, b = fit_sentence(t.X[ok], t.y[ok], [q for q, k in zip(t.qids, ok) if k], C)
    meta = {"trained": dt.date.today().isoformat(), "cv": report, **(source or {})}
    model = Model(FEATURES, mean, scale, coef, b, q_coef, q_b, threshold, meta, MIN_SENTENCE_P,
                  value_top_k=VALUE_TOP_K, passage=passage)
    return model, report


def source_info(questions_file: Path) -> dict:
    """Where the training rows came from, recorded in the artifact."""
    import sklearn

    return {"questions_file": questions_file.name, "questions_sha256": file_sha256(questions_file),
            "sklearn": sklearn.__version__}
