"""The assistant chain: question (+history, filters) → standalone query → passages → cited answer."""
from __future__ import annotations

import time
from typing import Callable

from assistant.extractive import ExtractiveAnswerer, idf_table, nearest
from assistant.followup import rewrite_followup
from assistant.models import Answer
from assistant.retrieval import FAMILIES, Filters, HybridSearch
from assistant.text import expand_query, tokenize
from ingest.errors import CarbonQAError
from ingest.settings import Settings

MAX_QUESTION_CHARS = 2000
ABSTAIN_TEXT = "The corpus does not answer this question."


class Assistant:
    """Loads the index and models once per process; `ask` is safe to call from many requests."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.search = HybridSearch(settings)
        self._extractive: ExtractiveAnswerer | None = None
        self._llm: dict[str, object] = {}
        self._idf_version = ""

    def warm_up(self) -> None:
        """Build BM25 and load the embedding model before the first question."""
        self.search.refresh()
        self.extractive()
        self.search.embedder.embed(["warm up"])

    def extractive(self) -> ExtractiveAnswerer:
        """The extractive answerer, with IDF from the current index."""
        lex = self.search.lexical
        if self._extractive is None or self._idf_version != self.search._version:
            idf = idf_table([tokenize(t) for t in lex.texts])
            self._extractive = ExtractiveAnswerer(self.search.embedder, idf, self.settings.max_answer_sentences)
            self._idf_version = self.search._version
        return self._extractive

    def llm(self, provider: str):
        """The LLM answerer for a provider, created once."""
        if provider not in self._llm:
            from assistant.llm_answer import LLMAnswerer

            self._llm[provider] = LLMAnswerer(self.settings, provider)
        return self._llm[provider]

    def ask(
        self,
        question: str,
        history: list[str] | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        provider: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one question with citations, or abstain saying what was searched."""
        t0 = time.perf_counter()
        question = _check_question(question)
        answerer = answerer or self.settings.answerer
        provider = provider or self.settings.llm_provider
        if answerer not in ("extractive", "llm"):
            raise CarbonQAError(f"unknown answerer '{answerer}' (extractive or llm)")
        history = [h for h in (history or []) if h and h.strip()]
        standalone = rewrite_followup(question, history, FAMILIES) if history else question
        if answerer == "llm" and history:
            standalone = self.llm(provider).rewrite(question, history) or standalone
        t1 = time.perf_counter()
        passages = self.search.search(standalone, filters)
        t2 = time.perf_counter()
        allowed = self.search.resolve(filters)
        searched = sorted(allowed) if allowed is not None else sorted(self.search.documents())
        ex = self.extractive()
        focus = expand_query(self.search.topic(standalone, allowed), self.search.lexical.acronyms)
        fams = self.search.named_families(standalone, allowed)
        scored = ex.score(focus, _candidates(passages, fams))
        support = scored[0][0] if scored else 0.0
        warnings: list[str] = []
        unsupported: list[str] = []
        if support < self.settings.abstain_threshold or not passages:
            text, cits, abstained = ABSTAIN_TEXT, nearest(passages, scored), True
        elif answerer == "extractive":
            must = list(fams.values()) if len(fams) >= 2 else None
            chosen = ex.select(scored, must)
            from assistant.quotes import cite

            cits = [cite(i + 1, s, sc) for i, (sc, s) in enumerate(chosen)]
            text = " ".join(f"{c.quote} [{c.n}]" for c in cits)
            abstained = False
        else:
            result = self.llm(provider).answer(standalone, passages, on_token=on_token)
            text, cits, abstained = result.text, result.citations, result.abstained
            unsupported, warnings = result.unsupported, result.warnings
            if abstained:
                text, cits = ABSTAIN_TEXT, nearest(passages, scored)
        if abstained:
            text = _abstain_text(cits, searched, self.search.documents())
        t3 = time.perf_counter()
        return Answer(
            question=question, answer=text, abstained=abstained, citations=cits, passages=passages,
            timings={
                "retrieval_ms": round((t2 - t1) * 1000, 1), "generation_ms": round((t3 - t2) * 1000, 1),
                "total_ms": round((t3 - t0) * 1000, 1),
            },
            answerer=answerer if answerer == "extractive" else f"llm:{provider}",
            settings_digest=self.settings.digest(), standalone_question=standalone,
            searched_documents=searched, filters=filters.to_dict() if filters else {},
            unsupported=unsupported, warnings=warnings,
        )


def _candidates(passages, families: dict[str, list[str]], per_family: int = 3, others: int = 3):
    """Passages worth reading for the answer: the named documents' best first, then the rest."""
    if not families:
        return passages[:5]
    picked = []
    for docs in families.values():
        picked += [p for p in passages if p.doc_id in docs][:per_family]
    if len(families) == 1 and picked:
        return picked  # the user named the instrument: answer from it
    return picked + [p for p in passages if p not in picked][:others]


def _check_question(question: str) -> str:
    """Reject empty and oversized questions with a clear message."""
    if question is None or not str(question).strip():
        raise CarbonQAError("the question is empty: type a question about the corpus")
    question = " ".join(str(question).split())
    if len(question) > MAX_QUESTION_CHARS:
        raise CarbonQAError(
            f"the question is {len(question):,} characters long; the limit is {MAX_QUESTION_CHARS:,}: "
            "ask about one provision at a time"
        )
    return question


def _abstain_text(cits, searched: list[str], docs: dict[str, dict]) -> str:
    """The abstention message: what was searched and the nearest passages."""
    names = ", ".join(docs.get(d, {}).get("title", d) for d in searched[:20])
    more = f" and {len(searched) - 20} more" if len(searched) > 20 else ""
    near = " ".join(f"[{c.n}]" for c in cits)
    return (
        f"{ABSTAIN_TEXT} No passage in the searched documents states it. "
        f"Searched {len(searched)} document(s): {names}{more}. "
        + (f"Nearest passages: {near}." if cits else "")
    )
