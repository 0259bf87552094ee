"""The assistant chain: question (+history, filters) → standalone query → passages → cited answer."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Callable

from assistant.extractive import ExtractiveAnswerer, idf_table, nearest
from assistant.followup import rewrite_followup
from assistant.llm import LLMUnavailable
from assistant.models import Answer, Passage
from assistant.quotes import cite, extend_lead_in
from assistant.retrieval import FAMILIES, Filters, HybridSearch
from assistant.text import expand_query, tokenize
from assistant.versions import in_force, label_citations
from ingest.clean import normalise_ws
from ingest.errors import CarbonQAError
from ingest.manifest import ManifestError, load_manifest
from ingest.settings import Settings

MAX_QUESTION_CHARS = 2000
MISSING_WEIGHT = 0.3
LLM_PASSAGES = 5  # prompt length drives time-to-first-token on a 2-core CPU
DEFINITION_BONUS = 0.25  # the lookup already matched the exact term, which the definition text omits
_DEFINE = re.compile(
    r"^(?:what(?:'s| is| are)|define|definition of|meaning of|what does|what do)\s+(?:an?\s+|the\s+)?"
    r"(?:term\s+)?[\"“']?(?P<term>[^?\"”']{2,60}?)[\"”']?(?:\s+(?:mean|means|stand for|refer to))?\s*\??$",
    re.I,
)


_DEFINE_INLINE = re.compile(
    r"\b(?:define|defines|defined|definition of|meaning of|mean by)\s+(?:an?\s+|the\s+)?(?:term\s+)?[\"“']?"
    r"(?P<term>[A-Za-z][\w/\- ]{1,60}?)[\"”']?(?=\s+(?:compared|versus|vs\.?|and|in|under|according|differ|for|by|within|of|as)\b|[?.,;]|$)",
    re.I,
)


TYPE_PENALTY = 0.15
_NUMBER_Q = re.compile(
    r"\b(how (much|many|long|often)|what (price|fee|fees|levy|cost|amount|penalty|percentage|per ?cent|share|"
    r"rate|number|volume|quantity|threshold|proportion)|per tonne|per credit|how large|what size)\b", re.I)
_DATE_Q = re.compile(r"\b(when|what date|which date|which year|what year|by what date|on what date|deadline)\b", re.I)
_NUMBER_A = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty|hundred|"
    r"thousand|million|billion|half|double|twice)\b", re.I)
_DATE_A = re.compile(
    r"\b(1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|days?|weeks?|months?|years?|annual(ly)?|before|after|prior to|within|until|once)\b", re.I)


def answer_type(question: str) -> str:
    """'number' or 'date' when the question can only be answered by one, else ''."""
    if _NUMBER_Q.search(question):
        return "number"
    if _DATE_Q.search(question):
        return "date"
    return ""


def _has_type(text: str, need: str) -> bool:
    """True when a sentence contains the kind of value the question asks for."""
    return bool((_NUMBER_A if need == "number" else _DATE_A).search(text))


def definition_term(question: str) -> str:
    """The term a 'what is X / define X' question asks about, or ''."""
    m = _DEFINE.match(question.strip()) or _DEFINE_INLINE.search(question)
    if not m:
        return ""
    raw = m.group("term")
    term = re.sub(r"\s+(?:under|in|according to|as defined by|for|by|of the)\s+.*$", "", raw, flags=re.I)
    tail = raw[len(term):].lower()
    if tail and not any(n in tail for names in FAMILIES.values() for n in names + ["glossary", "definitions"]):
        return ""  # "what is the crediting period for ARR projects" asks a rule, not a definition
    term = re.sub(r"^(?:definition|meaning)\s+of\s+(?:an?\s+|the\s+)?", "", term, flags=re.I)
    return term.strip() if 0 < len(term.split()) <= 6 else ""


@dataclass
class Evidence:
    """What retrieval and scoring found for one question, before any answer is written."""

    standalone: str
    passages: list
    allowed: list[str] | None
    searched: list[str]
    families: dict[str, list[str]]
    scored: list
    support: float
    retrieval_ms: float
    missing: float
ABSTAIN_TEXT = "The corpus does not answer this question."


class Assistant:
    """Loads the index and models once per process; `ask` is safe to call from many requests."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.search = HybridSearch(settings)
        try:
            self.entries = load_manifest(settings.manifest_path)
        except ManifestError:
            self.entries = []  # ad-hoc corpora without a manifest have no version graph
        self._definitions = None
        self._extractive: ExtractiveAnswerer | None = None
        self._llm: dict[str, object] = {}
        self._idf_version = ""

    def warm_up(self) -> None:
        """Build BM25 and load the embedding model before the first question."""
        self.search.refresh()
        self.extractive()
        self.definitions()
        self.search.embedder.embed(["warm up"])

    def definitions(self):
        """Defined terms of the corpus (cached per index version)."""
        return self._glossary()[1]

    def _glossary(self):
        """(version, DefinitionIndex, whitespace-normalised page texts) for the current index."""
        from assistant.definitions import DefinitionIndex, doc_views

        version = self.search.store.index_version()
        if self._definitions is None or self._definitions[0] != version:
            lex = self.search.lexical
            pages: dict[tuple[str, int], str] = {}
            for doc_id, view in doc_views(lex.texts, lex.metas).items():
                bounds = view.page_offs + [len(view.text)]
                for i, num in enumerate(view.pages):  # a page may be marked at several chunk starts
                    key = (doc_id, num)
                    pages[key] = pages.get(key, "") + " " + view.text[bounds[i]: bounds[i + 1]]
            pages = {k: normalise_ws(v) for k, v in pages.items()}
            self._definitions = (version, DefinitionIndex.build(self.search), pages)
        return self._definitions

    def in_force_filter(self, filters: Filters | None, as_of: dt.date | None) -> Filters | None:
        """Leave superseded (or not yet published) versions out unless the user named them."""
        if filters is not None and filters.doc_ids:
            return filters
        force = in_force(self.entries, as_of)
        listed = {e.id for e in self.entries}
        docs = self.search.documents()
        out_of_force = [d for d in docs if d in listed and d not in force]
        if not out_of_force:
            return filters
        allowed = self.search.resolve(filters) or list(docs)
        base = filters or Filters()
        return Filters(doc_ids=[d for d in allowed if d not in out_of_force], categories=base.categories,
                       jurisdictions=base.jurisdictions, issuers=base.issuers)

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

    def gather(self, question: str, history=None, filters=None, answerer="extractive", provider=None,
               as_of: dt.date | None = None) -> Evidence:
        """Follow-up rewrite, retrieval and sentence scoring: everything before the answer is written."""
        filters = self.in_force_filter(filters, as_of)
        history = [h for h in (history or []) if h and h.strip()]
        standalone = rewrite_followup(question, history, FAMILIES) if history else question
        if answerer == "llm" and history:
            standalone = self.llm(provider or self.settings.llm_provider).rewrite(question, history) or standalone
        t = time.perf_counter()
        passages = self.search.search(standalone, filters)
        retrieval_ms = (time.perf_counter() - t) * 1000
        allowed = self.search.resolve(filters)
        searched = sorted(allowed) if allowed is not None else sorted(self.search.documents())
        ex = self.extractive()
        focus = expand_query(self.search.topic(standalone, allowed), self.search.lexical.acronyms)
        fams = self.search.named_families(standalone, allowed)
        named_docs = sorted({d for docs in fams.values() for d in docs}) or allowed
        defs = self._definition_passages(standalone, named_docs)
        passages = defs + [p for p in passages if p.id not in {d.id for d in defs}]
        cands = defs + _candidates(passages[len(defs):], fams)
        scored = ex.score(focus, cands)
        if defs:
            # A glossary entry for the very term asked about is the best evidence for "what is X".
            scored = sorted(((sc + DEFINITION_BONUS if st.passage.id.startswith("def:") else sc, st)
                             for sc, st in scored), key=lambda x: -x[0])
        best = scored[0][0] if scored else 0.0
        # Rare question words that no candidate passage contains are the strongest sign that the
        # corpus does not hold the answer (e.g. "quorum" when no document mentions one).
        missing = ex.missing_terms(focus, cands)
        support = best - MISSING_WEIGHT * missing
        need = answer_type(standalone)
        if need and scored and not any(_has_type(st.text, need) for _, st in scored[:3]):
            # "What fee…" answered by sentences without any amount is a near miss, not an answer.
            support -= TYPE_PENALTY
        return Evidence(standalone, passages, allowed, searched, fams, scored, round(support, 4), retrieval_ms, missing)

    def _definition_passages(self, question: str, allowed: list[str] | None) -> list[Passage]:
        """Glossary definitions of the term a 'what is X' question asks about, as passages."""
        term = definition_term(question)
        if not term:
            return []
        try:
            _v, index, pages = self._glossary()
            defs = index.lookup(term, allowed)
        except Exception:  # definitions are a bonus; retrieval alone still answers
            return []
        out = []
        for d in defs[:3]:
            # A quote must stand verbatim on the page it cites: find that page, or skip the entry
            # (table glossaries can interleave a wrapped term with its definition).
            page = next((p for p in (d.page, d.page + 1, d.page - 1, d.page + 2)
                         if normalise_ws(d.definition) in pages.get((d.doc_id, p), "")), None)
            if page is None:
                continue
            key = hashlib.sha256(f"{d.doc_id}:{d.page}:{d.definition}".encode()).hexdigest()[:16]
            rec = self.search.documents().get(d.doc_id, {})
            out.append(Passage(
                id=f"def:{key}", doc_id=d.doc_id, title=d.title, text=d.definition, page_start=page,
                page_end=page, page_label="", section=d.section, score=1.0,
                version=rec.get("version", ""), category=rec.get("category", ""),
                page_marks=json.dumps([[0, page, ""]]),
            ))
        return out

    def ask(
        self,
        question: str,
        history: list[str] | None = None,
        filters: Filters | None = None,
        answerer: str | None = None,
        provider: str | None = None,
        on_token: Callable[[str], None] | None = None,
        as_of: dt.date | None = None,
    ) -> Answer:
        """Answer one question with citations, or abstain saying what was searched."""
        t0 = time.perf_counter()
        question = _check_question(question)
        answerer = answerer or self.settings.answerer
        provider = provider or self.settings.llm_provider
        if answerer not in ("extractive", "llm"):
            raise CarbonQAError(f"unknown answerer '{answerer}' (extractive or llm)")
        ev = self.gather(question, history, filters, answerer, provider, as_of)
        passages, scored, support, fams = ev.passages, ev.scored, ev.support, ev.families
        standalone, searched = ev.standalone, ev.searched
        ex = self.extractive()
        warnings: list[str] = []
        unsupported: list[str] = []
        result = None
        if answerer == "llm" and passages and support >= self.settings.abstain_threshold:
            try:
                result = self.llm(provider).answer(standalone, passages[:LLM_PASSAGES], on_token=on_token)
            except LLMUnavailable as exc:
                if not self.settings.llm_fallback:
                    raise
                answerer = "extractive"
                warnings.append(f"{exc}; answered extractively (llm_fallback)")
        if support < self.settings.abstain_threshold or not passages:
            text, cits, abstained = ABSTAIN_TEXT, nearest(passages, scored), True
        elif result is None:
            must = list(fams.values()) if len(fams) >= 2 else None
            chosen = ex.select(scored, must)
            cits = [cite(i + 1, extend_lead_in(s), sc) for i, (sc, s) in enumerate(chosen)]
            text = " ".join(f"{c.quote} [{c.n}]" for c in cits)
            abstained = False
        else:
            text, cits, abstained = result.text, result.citations, result.abstained
            unsupported, warnings = result.unsupported, warnings + result.warnings
            if abstained:
                text, cits = ABSTAIN_TEXT, nearest(passages, scored)
        if abstained:
            text = _abstain_text(cits, searched, self.search.documents())
        warnings += label_citations(cits, self.entries, as_of)
        t3 = time.perf_counter()
        return Answer(
            question=question, answer=text, abstained=abstained, citations=cits, passages=passages,
            timings={
                "retrieval_ms": round(ev.retrieval_ms, 1),
                "generation_ms": round((t3 - t0) * 1000 - ev.retrieval_ms, 1),
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
