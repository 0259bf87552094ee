"""The learned answerability model: P(sentence states the answer) and P(the corpus answers the question).

Small logistic models, trained on the dev split by `carbonqa eval train` (evals/train.py)
and stored as plain JSON next to this file:
- the sentence model weighs `features.FEATURES` of each (question, sentence) pair;
- the question model turns the best sentence's logit and a few question-level facts (whether a
  value is asked for, whether a candidate states one next to the question's subject…) into a
  calibrated probability that the corpus answers at all;
- the passage reranker and its stacked sentence model (`rerank.py`) reorder the passages and
  re-weigh each sentence by how its passage ranks.
The sentence model's best probability and the question model decide whether to abstain; the
stacked probability chooses which sentences are quoted.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.answering.features import FEATURES, Q_FEATURES
from assistant.answering.rerank import PASSAGE_FEATURES
from ingest.errors import CarbonQAError

ARTIFACT = Path(__file__).with_name("answerability.json")
FORMAT = 1


@dataclass(frozen=True)
class Model:
    """Weights of the sentence and question models, plus the dev-calibrated operating point."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    q_coef: np.ndarray  # over Q_FEATURES (best sentence logit, value needed, best subject+value…)
    q_intercept: float
    threshold: float  # abstain when P(answerable) is below this
    meta: dict
    min_sentence_p: float = 0.0  # …or when the best sentence is less likely than this to state the answer
    digest: str = ""  # sha256 prefix of the artifact file: recorded with every answer
    value_top_k: int = 0  # …or when a value is asked for and none of this many best sentences states one
    passage: dict | None = None  # the passage reranker (rerank.PASSAGE_FEATURES: mean, scale, coef) and its "stack"

    def sentence_logits(self, X: np.ndarray) -> np.ndarray:
        """Logit of 'this sentence states the answer' for each row of X."""
        if X.size == 0:
            return np.zeros(0)
        return ((X - self.mean) / self.scale) @ self.coef + self.intercept

    def answerable(self, q: np.ndarray) -> float:
        """Calibrated probability that the corpus answers the question, from its Q_FEATURES vector."""
        z = float(np.dot(self.q_coef, q) + self.q_intercept)
        return float(1.0 / (1.0 + np.exp(-z)))

    def to_json(self) -> dict:
        """The artifact's JSON object."""
        return {
            "format": FORMAT, "features": list(self.features), "q_features": list(Q_FEATURES),
            "mean": [round(float(x), 6) for x in self.mean], "scale": [round(float(x), 6) for x in self.scale],
            "coef": [round(float(x), 6) for x in self.coef], "intercept": round(float(self.intercept), 6),
            "q_coef": [round(float(x), 6) for x in self.q_coef], "q_intercept": round(float(self.q_intercept), 6),
            "threshold": round(float(self.threshold), 4), "min_sentence_p": self.min_sentence_p,
            "value_top_k": self.value_top_k, "meta": self.meta,
            **({"passage": _passage_json(self.passage)} if self.passage else {}),
        }

    @classmethod
    def from_json(cls, obj: dict) -> "Model":
        """Parse an artifact; a model trained on other features is refused."""
        if (obj.get("format") != FORMAT or tuple(obj.get("features", ())) != FEATURES
                or tuple(obj.get("q_features", ())) != Q_FEATURES):
            raise CarbonQAError("the answerability model was trained on other features: run `carbonqa eval train`")
        passage = obj.get("passage")
        if passage is not None and tuple(passage.get("features", ())) != PASSAGE_FEATURES:
            raise CarbonQAError("the passage reranker was trained on other features: run `carbonqa eval train`")
        arr = lambda k: np.asarray(obj[k], dtype=np.float64)  # noqa: E731
        return cls(FEATURES, arr("mean"), arr("scale"), arr("coef"), float(obj["intercept"]), arr("q_coef"),
                   float(obj["q_intercept"]), float(obj["threshold"]), obj.get("meta", {}),
                   float(obj.get("min_sentence_p", 0.0)), value_top_k=int(obj.get("value_top_k", 0)),
                   passage={k: passage[k] for k in ("mean", "scale", "coef", "stack") if k in passage} if passage else None)


def _passage_json(w: dict) -> dict:
    """The reranker's block of the artifact (and its stacked sentence model, when fitted)."""
    r = lambda v: [round(float(x), 6) for x in v]  # noqa: E731
    out = {"features": list(PASSAGE_FEATURES), **{k: r(w[k]) for k in ("mean", "scale", "coef")}}
    if w.get("stack"):
        st = w["stack"]
        out["stack"] = {**{k: r(st[k]) for k in ("mean", "scale", "coef")}, "intercept": round(float(st["intercept"]), 6)}
    return out


def sigmoid(z):
    """Logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@lru_cache(maxsize=4)
def load(path: str | None = None) -> Model:
    """The committed model (or another artifact by path), parsed once per process."""
    p = Path(path) if path else ARTIFACT
    try:
        raw = p.read_bytes()
        return replace(Model.from_json(json.loads(raw)), digest=hashlib.sha256(raw).hexdigest()[:8])
    except FileNotFoundError:
        raise CarbonQAError(f"{p}: answerability model missing: run `carbonqa eval train`") from None
    except (ValueError, KeyError) as exc:
        raise CarbonQAError(f"{p}: unreadable answerability model ({exc})") from None
