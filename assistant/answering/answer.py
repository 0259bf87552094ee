"""The assistant: question (+history, filters) → standalone query → passages → scored evidence → cited answer.

`Assistant` owns the loaded index and models; its steps are composed into one LangChain runnable
by `assistant.answering.chain.build_chain`, and `ask` is that chain's `invoke`.
"""
from __future__ import annotations

import datetime as dt
import time
from functools import partial
from typing import Callable

import numpy as np

from assistant.answering.abstain import abstain_text, did_you_mean, low_confidence_note, reported_confidence
from assistant.answering.answerability import Model
from assistant.answering.compress import evidence_passages
from assistant.answering.answerability import load as load_model
from assistant.answering.comparison import read_quotes, side_by_side
from assistant.answering.compose import over_quotes
from assistant.answering.glossary import Glossary
from assistant.answering.phrasing import plain
from assistant.answering.question import analyse, unknown_names
from assistant.answering.rerank import cited_first, rerank
from assistant.answering.state import Evidence, Turn
from assistant.answering.scoring import (Scorer, closest_cosine, glossary_first, idf_table, missing_share, nearest,
                                         select, select_limits)
from assistant.retrieval.coverage import not_indexed_note, unindexed_named
from assistant.retrieval.followup import rewrite_followup
from assistant.retrieval.fusion import compares, named_first
from assistant.retrieval.neighbours import run_back, run_on
from assistant.llm.providers import LLMUnavailable
from assistant.models import Answer, Passage
from assistant.answering.quotes import cite
from assistant.retrieval.hybrid import FAMILIES, CorpusRetriever, Filters, HybridSearch, passages_from_documents
from assistant.retrieval.text import tokenize
from assistant.retrieval.versions import in_force, label_citations
from ingest.errors import CarbonQAError
from ingest.manifest import ManifestError, load_manifest
from ingest.settings import Settings
from ingest.solo import fill_standalone

MAX_QUESTION_CHARS = 2000
# A name no document mentions ("Tokyo") stops an answer unless the model is this sure the corpus
# answers anyway: then the name is the asker's own context ("Our agreement is in Spanish. If we give
# Verra a translation…", dev P 0.92). On dev the unanswerable questions it stops sit at P 0.02-0.64.
UNKNOWN_NAME_OVERRIDE = 0.8


class Assistant:
    """Loads the index and models once per process; `ask` is safe to call from many requests."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.search = HybridSearch(settings)
        try:
            self.entries = load_manifest(settings.manifest_path)
        except ManifestError:
            self.entries = []  # ad-hoc corpora without a manifest have no version graph
        self.glossary = Glossary(self.search)
        self._scorer: tuple[str, Scorer] | None = None
        self._llm: dict[str, object] = {}
        self._chain = None

    @property
    def chain(self):
        """The question path as a LangChain runnable (`invoke`, `batch`, `stream`)."""
        if self._chain is None:
            from assistant.answering.chain import build_chain

            self._chain = build_chain(self)
        return self._chain

    def model(self) -> Model:
        """The answerability model (the committed one unless settings name another)."""
        path = self.settings.answerability_model
        return load_model(str(path) if path else None)

    def threshold(self) -> float:
        """Abstain below this P(answerable): the setting if given, else the model's dev-calibrated one."""
        t = self.settings.abstain_threshold
        return self.model().threshold if t is None else t

    def warm_up(self) -> None:
        """Build BM25, load the models and the glossary before the first question."""
        self.search.refresh()
        self.scorer()
        self.model()
        self.glossary.index()
        self.search.embedder.embed(["warm up"])

    def fill_sentence_vectors(self, stop=None) -> int:
        """Encode the index's sentences on their own, once per document version; answers then encode only the question."""
        return fill_standalone(self.search.store, self.search.embedder, on_doc=self.scorer().add_solo, stop=stop)

    def definitions(self):
        """Defined terms of the corpus (cached per index version)."""
        return self.glossary.index()

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

    def scorer(self) -> Scorer:
        """The evidence scorer, with IDF from the current index version."""
        lex = self.search.lexical
        version = self.search.store.index_version()
        if self._scorer is None or self._scorer[0] != version:
            idf = idf_table([tokenize(t) for t in lex.texts])
            store = self.search.store
            self._scorer = (version, Scorer(self.search.embedder, idf, stored=store.sentence_table(),
                                            solo=store.standalone_table()))
        return self._scorer[1]

    def llm(self, provider: str):
        """The LLM answerer for a provider, created once."""
        if provider not in self._llm:
            from assistant.answering.llm_answer import LLMAnswerer

            self._llm[provider] = LLMAnswerer(self.settings, provider)
        return self._llm[provider]

    def score_sentences(self, query: str, passages) -> list:
        """(P(sentence states what the query asks), Sentence) for the passages' sentences, best first."""
        scorer = self.scorer()
        focus = self.search.lexical.expand(query)
        asked = analyse(focus)
        cands = scorer.candidates(asked, focus, passages)
        missing = missing_share(focus, passages, scorer.idf)
        # the sentence model's P, not the passage stack: callers judge presence per document against a floor
        return scorer.judge(self.model(), asked, cands, missing, set()).scored

    # --- the chain's steps ---------------------------------------------------------------------

    def prepare(self, inputs: dict | str) -> Turn:
        """Chain step 0: validate the question and fill in the defaults."""
        if isinstance(inputs, str):
            inputs = {"question": inputs}
        answerer = inputs.get("answerer") or self.settings.answerer
        if answerer not in ("extractive", "llm"):
            raise CarbonQAError(f"unknown answerer '{answerer}' (extractive or llm)")
        return Turn(question=_check_question(inputs.get("question")), history=list(inputs.get("history") or []),
                    filters=inputs.get("filters"), answerer=answerer,
                    provider=inputs.get("provider") or self.settings.llm_provider,
                    on_token=inputs.get("on_token"), as_of=inputs.get("as_of"), t0=time.perf_counter())

    def retrieve_and_score(self, turn: Turn) -> Turn:
        """Chain steps 1-3: rewrite the follow-up, retrieve, score every candidate sentence."""
        turn.evidence = self.gather(turn.question, turn.history, turn.filters, turn.answerer, turn.provider,
                                    turn.as_of)
        return turn

    def gather(self, question: str, history=None, filters=None, answerer="extractive", provider=None,
               as_of: dt.date | None = None, model: Model | None = None) -> Evidence:
        """Follow-up rewrite, retrieval and sentence scoring: everything before the answer is written."""
        filters = self.in_force_filter(filters, as_of)
        history = [h for h in (history or []) if h and h.strip()]
        standalone = rewrite_followup(question, history, FAMILIES) if history else question
        if answerer == "llm" and history:
            standalone = self.llm(provider or self.settings.llm_provider).rewrite(question, history) or standalone
        # "Quick question: what share…", "Could you tell me what… is": the wrapping only adds words that match nothing
        standalone = plain(standalone)
        t = time.perf_counter()
        retriever = CorpusRetriever(search=self.search, filters=filters, k=self.settings.top_k)
        passages = passages_from_documents(retriever.invoke(standalone))
        retrieval_ms = (time.perf_counter() - t) * 1000
        allowed = self.search.resolve(filters)
        searched = sorted(allowed) if allowed is not None else sorted(self.search.documents())
        scorer = self.scorer()
        topic = self.search.topic(standalone, allowed)
        focus = self.search.lexical.expand(topic)
        asked = analyse(focus)
        view = self.search.current()  # one view for the names and the comparison test (one stat)
        fams = self.search.named_families(standalone, allowed, view)
        named = {d for docs in fams.values() for d in docs}
        defs = self.glossary.passages(standalone, sorted(named) or allowed)
        passages = defs + [p for p in passages if p.id not in {d.id for d in defs}]
        cands = defs + named_first(passages[len(defs):], fams, self.settings.answer_passages)
        missing = missing_share(focus, cands, scorer.idf)
        candidates = scorer.candidates(asked, focus, cands, list(fams.values()))
        j = scorer.judge(model or self.model(), asked, candidates, missing, named, passages)
        return Evidence(standalone, passages, allowed, searched, fams, asked, candidates, j.features, j.scored,
                        round(j.support, 4), retrieval_ms, round(missing, 4), j.lacks_value,
                        unknown_names(standalone, self.search.lexical.vocab.__contains__), j.sentence_p,
                        j.passage_scores, compares(standalone.lower(), view.patterns, fams),
                        unindexed_named(topic, self.entries, set(self.search.documents())),
                        closest_cosine(passages))

    def respond(self, turn: Turn) -> Answer:
        """Chain steps 4-5: quote the sentences that state the answer (or let the LLM write it, grounded), or abstain."""
        ev, answerer, provider = turn.evidence, turn.answerer, turn.provider
        warnings: list[str] = []
        unsupported: list[str] = []
        result = None
        # the floor is the sentence model's (as in training), not the passage-stacked probability
        best_p = float(np.max(ev.sentence_p)) if ev.sentence_p is not None and len(ev.sentence_p) else 0.0
        # A short question can sit far from every passage and still be about the corpus: one that names
        # an indexed instrument or its issuer ("Who chairs the Verra Board?", cosine 0.32) is never off-topic.
        off_topic = ev.closest is not None and ev.closest < self.settings.off_topic_cosine and not ev.families
        unknown = ev.unknown if ev.support < UNKNOWN_NAME_OVERRIDE else []
        # A question naming a rulebook the manifest lists but the index lacks (the JCM rules, the CCTS
        # regulations) is most likely asked of that rulebook: an answer from the other documents needs the
        # bar of a confident one. Dev 609: 31 such questions; 6 more near misses declined, 2 answerable ones.
        bar = max(self.threshold(), self.settings.low_confidence) if ev.unindexed else self.threshold()
        confident = (bool(ev.passages) and ev.support >= bar and not ev.lacks_value and not unknown
                     and best_p >= self.model().min_sentence_p and not off_topic)
        if answerer == "llm" and confident:
            try:
                evidence, quoted = self.llm_evidence(ev)
                result = self.llm(provider).answer(ev.standalone, evidence or self.ranked(ev)[:2], on_token=turn.on_token,
                                                   compact=bool(evidence))
            except LLMUnavailable as exc:
                if not self.settings.llm_fallback:
                    raise
                answerer = "extractive"
                warnings.append(f"{exc}; answered extractively (llm_fallback)")
        if not confident:
            text, cits, abstained = "", nearest(ev.scored), True
        elif result is None:
            text, cits = self._quote(ev)
            abstained = False
        else:
            unsupported = result.unsupported
            text, cits, abstained, said = over_quotes(result, quoted, ev.standalone, ev.compared, ev.support,
                                                      self.settings.llm_override_support)
            warnings += said
            if abstained:
                cits = nearest(ev.scored)
        if abstained:
            text = abstain_text(ev.asked, cits, ev.searched, self.search.documents(), unknown, ev.unindexed,
                                ev.closest if off_topic else None, self._meant(unknown))
        else:
            warnings += [n for n in (low_confidence_note(ev.support, self.settings.low_confidence),
                                     ev.unindexed and not_indexed_note(ev.unindexed)) if n]
            if ev.unknown:
                warnings.append(f"no indexed document mentions {' or '.join(ev.unknown)}: the quotes do not "
                                f"speak to it.{did_you_mean(ev.unknown, self._meant(ev.unknown))}")
        warnings += label_citations(cits, self.entries, turn.as_of)
        total = (time.perf_counter() - turn.t0) * 1000
        return Answer(
            question=turn.question, answer=text, abstained=abstained, citations=cits,
            passages=self.ranked(ev) if abstained else cited_first(self.ranked(ev), cits),
            timings={"retrieval_ms": round(ev.retrieval_ms, 1), "generation_ms": round(total - ev.retrieval_ms, 1),
                     "total_ms": round(total, 1)},
            answerer=answerer if answerer == "extractive" else f"llm:{provider}",
            settings_digest=f"{self.settings.digest()}-m{self.model().digest}", standalone_question=ev.standalone,
            searched_documents=ev.searched, filters=turn.filters.to_dict() if turn.filters else {},
            unsupported=unsupported, warnings=warnings,
            confidence=reported_confidence(ev.support, bar, abstained, off_topic),
            evidence=[{"n": i + 1, "p": round(p, 4), "doc_id": x.passage.doc_id, "page": x.page, "text": x.text}
                      for i, (p, x) in enumerate(ev.scored[:5])],
        )

    def _meant(self, unknown: list[str]) -> dict[str, str]:
        """Unknown names that look like a typo of an indexed word, with that word ("Standrad": "standard")."""
        found = {u: self.search.lexical.closest_word(u) for u in unknown}
        return {u: w for u, w in found.items() if w}

    def llm_evidence(self, ev: Evidence) -> tuple[list[Passage], tuple[str, list]]:
        """The windows around the sentences the extractive answer quotes, and that answer: what the LLM reads.

        Its answer keeps only sentences on the quoted pages (`compose`), so other windows were prompt tokens
        read for nothing: on a 2-core CPU each costs 7-30 ms before the first answer token.
        """
        quoted = self._quote(ev)
        keys = {(c.doc_id, c.page) for c in quoted[1]}
        texts = [c.quote for c in quoted[1]]
        on = [(p, x) for p, x in ev.scored if (x.passage.doc_id, x.page) in keys and any(x.text in t for t in texts)]
        return evidence_passages(on or ev.scored, k=self.settings.llm_evidence_sentences), quoted

    def ranked(self, ev: Evidence) -> list:
        """The passages likeliest to hold the answer first, by the reranker trained with the answer model."""
        return rerank(ev.passages, ev.passage_scores)

    def run_on(self, p: Passage) -> Passage | None:
        """p with the next chunk of its document joined on, or None (see retrieval.neighbours)."""
        return run_on(self.search.lexical, p)

    def _quote(self, ev: Evidence) -> tuple[str, list]:
        """The extractive answer: the selected sentences, verbatim, each with its [n].

        A question comparing two or more instruments gets each one's best provision side by side,
        and an instrument with no sentence above `compare_min_score` is said to be silent.
        """
        s = self.settings
        back = partial(run_back, self.search.lexical)
        if not ev.compared:
            scored = self.glossary.on_term(ev.standalone, ev.scored) if ev.asked.definition else ev.scored
            most, relative = select_limits(ev.asked, s)
            chosen = select(glossary_first(scored, self.model().min_sentence_p), most, relative, s.select_floor,
                            other_page=s.select_other_page)
            quotes = read_quotes(chosen, ev.asked, back, self.run_on)
            cits = [cite(i + 1, x, p) for i, (p, x) in enumerate(quotes)]
            return " ".join(f"{c.quote} [{c.n}]" for c in cits), cits
        raw = ({id(c.sentence): float(q) for c, q in zip(ev.candidates, ev.sentence_p)}
               if ev.sentence_p is not None else {})
        return side_by_side(ev.families, ev.scored, raw, ev.asked, s.compare_min_score, s.compare_sentences,
                            s.compare_relative, more=self.run_on, back=back,
                            titles={e.id: (e.title, e.version) for e in self.entries})

    def ask(self, question: str, history: list[str] | None = None, filters: Filters | None = None,
            answerer: str | None = None, provider: str | None = None,
            on_token: Callable[[str], None] | None = None, as_of: dt.date | None = None) -> Answer:
        """Answer one question with citations, or abstain saying what was looked for: the chain's invoke."""
        return self.chain.invoke({"question": question, "history": history, "filters": filters,
                                  "answerer": answerer, "provider": provider, "on_token": on_token, "as_of": as_of})


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
