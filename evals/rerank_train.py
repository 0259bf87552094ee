"""Train the passage reranker (`assistant/answering/rerank.py`) with the answerability model.

`carbonqa eval train` writes one row per (dev question, retrieved passage) next to the sentence
table: the features that need no sentence model, the passage's candidate sentences (their row
numbers within the question) and the gold pages it covers. Fitting reads the sentences'
out-of-fold logits, so the reranker learns from probabilities like those it gets on unseen
questions. A passage is positive when it covers a gold page of an answerable question.
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answering.answerability import sigmoid
from assistant.answering.rerank import PASSAGE_FEATURES, passage_index, stack_inputs, static_features, with_sentence_p
from ingest.errors import CarbonQAError

PASSAGE_TABLE = Path(__file__).parent / "answerability" / "dev_passages.csv.gz"
_STATIC = [f for f in PASSAGE_FEATURES if f not in ("log_p1", "log_p2")]
C = 1.0
FOLDS = 5


@dataclass
class PassageTable:
    """One row per (question, retrieved passage), in retrieval order within each question."""

    qids: list[str]
    gold: list[tuple[int, ...]]  # which of the question's gold pages the passage covers
    n_gold: list[int]  # how many gold pages the question has
    cands: list[tuple[int, ...]]  # the passage's sentences: row numbers within the question's sentence rows
    static: np.ndarray  # columns _STATIC


def passage_rows(q, ev) -> tuple[list, np.ndarray, list[list[int]]]:
    """(gold pages each passage covers, static features, candidate rows) for one gathered question."""
    gold = sorted(q.gold_pages) if q.answerable else []
    covers = [tuple(i for i, (d, pg) in enumerate(gold) if p.doc_id == d and p.page_start <= pg <= p.page_end)
              for p in ev.passages]
    static, rows = static_features(ev.passages, passage_index(ev.passages, ev.candidates), ev.features)
    return covers, static, rows


def add_question(t: PassageTable, q, ev) -> None:
    """Append one gathered question's passages to the table."""
    covers, static, rows = passage_rows(q, ev)
    for k in range(len(ev.passages)):
        t.qids.append(q.id)
        t.gold.append(covers[k])
        t.n_gold.append(len(q.gold_pages) if q.answerable else 0)
        t.cands.append(tuple(rows[k]))
    t.static = np.vstack([t.static, static]) if len(static) else t.static


def empty() -> PassageTable:
    """A table with no rows."""
    return PassageTable([], [], [], [], np.zeros((0, len(_STATIC))))


def write(t: PassageTable, path: Path = PASSAGE_TABLE) -> None:
    """The table as gzipped CSV (deterministic bytes)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["qid", "gold", "n_gold", "cands", *_STATIC])
    for i, qid in enumerate(t.qids):
        w.writerow([qid, " ".join(map(str, t.gold[i])), t.n_gold[i], " ".join(map(str, t.cands[i])),
                    *(f"{v:.6g}" for v in t.static[i])])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(buf.getvalue().encode(), mtime=0))


def read(path: Path = PASSAGE_TABLE) -> PassageTable:
    """Read a table written by `write`."""
    try:
        rows = list(csv.reader(io.StringIO(gzip.decompress(path.read_bytes()).decode())))
    except FileNotFoundError:
        raise CarbonQAError(f"{path}: passage table missing: rerun `carbonqa eval train --collect`") from None
    head, body = rows[0], rows[1:]
    if head[4:] != _STATIC:
        raise CarbonQAError(f"{path}: built for other passage features: rerun `carbonqa eval train --collect`")
    ints = lambda s: tuple(int(x) for x in s.split())  # noqa: E731
    return PassageTable([r[0] for r in body], [ints(r[1]) for r in body], [int(r[2]) for r in body],
                        [ints(r[3]) for r in body],
                        np.array([[float(v) for v in r[4:]] for r in body]).reshape(len(body), len(_STATIC)))


def design(t: PassageTable, sentence_qids: list[str], logits: np.ndarray) -> np.ndarray:
    """The PASSAGE_FEATURES matrix, the sentence probabilities taken from `logits` (one per sentence row)."""
    first: dict[str, int] = {}
    for i, qid in enumerate(sentence_qids):
        first.setdefault(qid, i)
    probs = sigmoid(np.nan_to_num(logits, nan=-10.0))
    out = np.zeros((len(t.qids), len(PASSAGE_FEATURES)))
    for i, qid in enumerate(t.qids):
        base = first.get(qid)
        if base is None:
            raise CarbonQAError(f"passage table row for {qid} has no sentence rows: rerun `carbonqa eval train`")
        rows = [[base + c for c in t.cands[i]]]
        out[i] = with_sentence_p(t.static[i:i + 1], rows, probs)[0]
    return out


def _fit(P: np.ndarray, y: np.ndarray) -> dict:
    """Standardiser and logistic regression weights."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = P.mean(axis=0), P.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000).fit((P - mean) / scale, y)
    return {"mean": mean, "scale": scale, "coef": lr.coef_[0]}


def _score(w: dict, P: np.ndarray) -> np.ndarray:
    """Reranker scores (higher first)."""
    return ((P - w["mean"]) / w["scale"]) @ w["coef"]


def page_recall(t: PassageTable, scores: np.ndarray, ks=(1, 3, 5)) -> dict[str, float]:
    """Mean share of gold pages covered by each answerable question's top-k passages under `scores`."""
    by_q: dict[str, list[int]] = {}
    for i, qid in enumerate(t.qids):
        if t.n_gold[i]:
            by_q.setdefault(qid, []).append(i)
    out = {}
    for k in ks:
        vals = []
        for idx in by_q.values():
            top = sorted(idx, key=lambda i: (-scores[i], i))[:k]
            vals.append(len({g for i in top for g in t.gold[i]}) / t.n_gold[idx[0]])
        out[f"@{k}"] = round(float(np.mean(vals)), 4) if vals else None
    return out


def _fit_stack(S: np.ndarray, y: np.ndarray) -> dict:
    """Standardiser and logistic regression (with intercept) for the stacked sentence model."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = S.mean(axis=0), S.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000).fit((S - mean) / scale, y)
    return {"mean": mean, "scale": scale, "coef": lr.coef_[0], "intercept": float(lr.intercept_[0])}


def _gaps(t: PassageTable, sentence_qids: list[str], z: np.ndarray) -> np.ndarray:
    """Per sentence row: its passage's reranker score minus the question's best (NaN for rows of no passage)."""
    first: dict[str, int] = {}
    for i, qid in enumerate(sentence_qids):
        first.setdefault(qid, i)
    best: dict[str, float] = {}
    for i, qid in enumerate(t.qids):
        best[qid] = max(best.get(qid, -np.inf), float(z[i]))
    out = np.full(len(sentence_qids), np.nan)
    for i, qid in enumerate(t.qids):
        for c in t.cands[i]:
            out[first[qid] + c] = z[i] - best[qid]
    return out


def fit(t: PassageTable, sentence_qids: list[str], oof_logits: np.ndarray, labels: np.ndarray) -> tuple[dict, dict]:
    """The reranker and its stacked sentence model, and their out-of-fold figures.

    The reranker learns from answerable questions (unanswerable ones have no page to rank first);
    its out-of-fold scores over every question then feed the stacked sentence model, so both
    stages are fitted to inputs like those they get on questions they never saw.
    """
    from sklearn.model_selection import GroupKFold

    P = design(t, sentence_qids, oof_logits)
    y = np.array([bool(g) for g in t.gold], int)
    keep = np.array([n > 0 for n in t.n_gold])
    groups = np.array(t.qids)
    oof = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=FOLDS).split(P, groups=groups):
        tr = tr[keep[tr]]
        oof[te] = _score(_fit(P[tr], y[tr]), P[te])
    weights = _fit(P[keep], y[keep])
    gaps = _gaps(t, sentence_qids, oof)
    ok = ~np.isnan(gaps) & ~np.isnan(oof_logits)
    S = stack_inputs(oof_logits[ok], gaps[ok])
    weights["stack"] = _fit_stack(S, labels[ok])
    retrieval = -np.arange(len(y), dtype=float)  # table rows are in retrieval order within a question
    report = {"passages": int(keep.sum()), "positive_passages": int(y[keep].sum()),
              "retrieval_page_recall": page_recall(t, retrieval), "cv_reranked_page_recall": page_recall(t, oof),
              "stack_coef": [round(float(c), 4) for c in weights["stack"]["coef"]]}
    return weights, report

