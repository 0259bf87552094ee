"""The state of one question on its way through the chain: the evidence found, and the turn that carries it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from assistant.answering.features import Candidate
from assistant.answering.question import Asked
from assistant.models import Answer
from assistant.retrieval.hybrid import Filters


@dataclass
class Evidence:
    """What retrieval and scoring found for one question, before any answer is written."""

    standalone: str
    passages: list  # in retrieval order (glossary entries first); `Assistant.ranked` reorders them
    allowed: list[str] | None
    searched: list[str]
    families: dict[str, list[str]]
    asked: Asked
    candidates: list[Candidate]
    features: np.ndarray
    scored: list  # (P(sentence states the answer), Sentence), best first
    support: float  # P(the corpus answers the question)
    retrieval_ms: float
    missing: float
    lacks_value: bool = False  # a value is asked for and none of the best sentences states one
    unknown: list[str] = field(default_factory=list)  # names in the question that no indexed document contains
    sentence_p: np.ndarray | None = None  # the sentence model's P per candidate, before the passage stack
    passage_scores: np.ndarray | None = None  # the reranker's score per passage (None: keep retrieval order)
    compared: bool = False  # the question sets the named families side by side (fusion.compares)
    unindexed: list = field(default_factory=list)  # listed documents the question names that the index lacks
    closest: float | None = None  # best cosine of the question to a retrieved passage (None: no dense side ran)


@dataclass
class Turn:
    """The state one question carries through the chain."""

    question: str
    history: list[str] = field(default_factory=list)
    filters: Filters | None = None
    answerer: str = "extractive"
    provider: str = ""
    on_token: Callable[[str], None] | None = None
    as_of: dt.date | None = None
    t0: float = 0.0
    evidence: Evidence | None = None
    answer: Answer | None = None
