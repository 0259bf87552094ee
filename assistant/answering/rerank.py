"""Passage reranking: the retrieved passages reordered by how likely each is to hold the answer.

Retrieval fuses BM25 and dense ranks; it cannot see whether a passage's sentences state what the
question asks. The sentence model can. A small logistic model, trained on the dev split with the
answerability model (`evals/rerank_train.py`), weighs each passage's retrieval rank, its two best
sentence probabilities and the best of a few pair features of its sentences. On dev (out of fold,
16 passages retrieved) it put a gold page among the top 5 for 0.864 of gold pages against
retrieval's 0.842, and among the top 3 for 0.802 against 0.755. A second, stacked model then
re-weighs each sentence by its passage's score gap to the best passage (`restack`).
"""
from __future__ import annotations

import numpy as np

from assistant.answering.features import FEATURES

# The pair features whose best value over a passage's sentences the reranker reads.
_MAXED = ("dense", "lexical", "context", "section", "named_doc", "subject", "dense_context", "window_subject_value")
PASSAGE_FEATURES = ("rank", "log_p1", "log_p2", "glossary", "judged", *(f"max_{f}" for f in _MAXED))
_STATIC = len(PASSAGE_FEATURES) - 2  # all but log_p1 and log_p2 need no sentence model
_COL = {f: i for i, f in enumerate(FEATURES)}
_FLOOR = 1e-4  # keeps log p finite for passages whose sentences the model rules out


def static_features(passages: list, passage_of: list[int], X: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Per passage, the features that need no sentence model, and the rows of X that are its sentences.

    `passage_of[i]` is the index (in `passages`) of candidate i's passage; X holds the pair features.
    """
    rows: list[list[int]] = [[] for _ in passages]
    for i, k in enumerate(passage_of):
        rows[k].append(i)
    cols = [_COL[f] for f in _MAXED]
    out = np.zeros((len(passages), _STATIC))
    for k, p in enumerate(passages):
        best = X[rows[k]][:, cols].max(axis=0) if rows[k] else np.zeros(len(cols))
        out[k] = [1.0 / (1 + k), float(p.id.startswith("def:")), float(bool(rows[k])), *best]
    return out, rows


def with_sentence_p(static: np.ndarray, rows: list[list[int]], probs: np.ndarray) -> np.ndarray:
    """The full PASSAGE_FEATURES matrix: the static part plus each passage's two best sentence probabilities."""
    top = np.zeros((len(rows), 2))
    for k, idx in enumerate(rows):
        ps = sorted((float(probs[i]) for i in idx), reverse=True)[:2]
        top[k, : len(ps)] = ps
    logs = np.log(top + _FLOOR)
    return np.column_stack([static[:, :1], logs, static[:, 1:]])


def passage_index(passages: list, cands: list) -> list[int]:
    """For each candidate sentence, the index of its passage in `passages`."""
    where = {p.id: k for k, p in enumerate(passages)}
    return [where[c.sentence.passage.id] for c in cands]


def passage_scores(passages: list, cands: list, X: np.ndarray, probs: np.ndarray, weights: dict) -> np.ndarray:
    """The reranker's score of each passage (higher: likelier to hold the answer)."""
    static, rows = static_features(passages, passage_index(passages, cands), X)
    P = with_sentence_p(static, rows, probs)
    return ((P - np.asarray(weights["mean"])) / np.asarray(weights["scale"])) @ np.asarray(weights["coef"])


def rerank(passages: list, scores: np.ndarray | None) -> list:
    """The passages, likeliest to hold the answer first (retrieval order when there are no scores)."""
    if scores is None or len(passages) < 2:
        return list(passages)
    return [passages[k] for k in sorted(range(len(passages)), key=lambda k: (-scores[k], k))]


def cited_first(passages: list, cits: list) -> list:
    """The passages an answer quotes first, in the order of its citations, then the rest as ranked.

    The first source card a user opens should hold the sentence marked [1].
    """
    order = {}
    for c in cits:
        order.setdefault(c.passage_id, len(order))
    return sorted(passages, key=lambda p: order.get(p.id, len(order)))


def stack_inputs(logits: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """The stacked sentence model's inputs: the sentence logit and its passage's score gap to the best passage."""
    return np.column_stack([np.clip(logits, -15.0, 15.0), gaps])


def restack(passages: list, cands: list, probs: np.ndarray, scores: np.ndarray, stack: dict | None) -> np.ndarray:
    """P(sentence states the answer), re-weighed by how its passage ranks against the best passage.

    A sentence in the passage the reranker puts first is likelier to be the answer than an equally
    worded one elsewhere: the reranker has read the sentence's neighbours and heading. Without a
    stacked model (an older artifact) the sentence model's probabilities are returned unchanged.
    """
    if not stack or not len(cands):
        return probs
    gaps = scores[passage_index(passages, cands)] - scores.max()
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    S = stack_inputs(np.log(p / (1 - p)), gaps)
    s = ((S - np.asarray(stack["mean"])) / np.asarray(stack["scale"])) @ np.asarray(stack["coef"]) + stack["intercept"]
    return 1.0 / (1.0 + np.exp(-s))
