"""The answer contract shared by the CLI, the chat UI and the evaluation."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Passage:
    """A retrieved chunk with its scores and retrieval trace."""

    id: str
    doc_id: str
    title: str
    text: str
    page_start: int
    page_end: int
    page_label: str
    section: str
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    bm25_score: float | None = None
    version: str = ""
    category: str = ""
    section_marks: str = "[]"
    page_marks: str = "[]"

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class Citation:
    """One numbered source: a verbatim quote on one physical page of one document."""

    n: int
    doc_id: str
    title: str
    page: int
    page_label: str
    section: str
    quote: str
    score: float
    version: str = ""
    passage_id: str = ""

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class Answer:
    """Everything one question produced; the same object everywhere."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]
    timings: dict[str, float]
    answerer: str
    settings_digest: str
    standalone_question: str = ""
    searched_documents: list[str] = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)  # LLM sentences removed by the grounding check
    warnings: list[str] = field(default_factory=list)
    confidence: float | None = None  # P(the corpus answers the question), from the answerability model
    evidence: list[dict] = field(default_factory=list)  # the best-scored sentences with their P
    # obligations register rows that match a question about a duty or permission (compliance.evidence)
    obligations: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form (the --json output and answers.jsonl rows)."""
        d = asdict(self)
        return d
