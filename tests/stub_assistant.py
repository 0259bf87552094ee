"""A stand-in for Assistant (no index, no model) so ChatService and the app can be tested in milliseconds."""
from __future__ import annotations

from assistant.models import Answer, Citation

SHA = "ab" * 32
DOC = "rules"
QUOTE = "Project Proponent means the legal entity that has overall control of the project."


class StubSearch:
    """The registry half of HybridSearch: one ingested document."""

    def documents(self) -> dict[str, dict]:
        """One document record, as the store's registry holds it."""
        return {DOC: {"title": "Test Rules", "sha256": SHA, "category": "standard", "jurisdictions": "|intl|"}}

    def refresh(self) -> None:
        """Nothing to reload."""


class StubAssistant:
    """Answers every question with the same verbatim, cited definition."""

    def __init__(self):
        self.search = StubSearch()

    def warm_up(self) -> None:
        """Nothing to load."""

    def ask(self, question, history=None, filters=None, answerer=None, provider=None, on_token=None, as_of=None):
        """One cited answer."""
        cit = Citation(n=1, doc_id=DOC, title="Test Rules", page=2, page_label="2", section="2 Definitions",
                       quote=QUOTE, score=0.9, version="1.0", passage_id="p1")
        return Answer(question=question, answer=f"{QUOTE} [1]", abstained=False, citations=[cit], passages=[],
                      timings={"retrieval_ms": 1.5, "generation_ms": 2.0, "total_ms": 3.5},
                      answerer="extractive", settings_digest="d1g3st", standalone_question=question,
                      searched_documents=[DOC])
