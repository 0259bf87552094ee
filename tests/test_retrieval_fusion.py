"""Fusion, per-document quota, merge and document names in retrieval, without an index."""
from __future__ import annotations

import pytest

from assistant.retrieval.fusion import aliases, families_in, merge, name_patterns, quota, rrf, short_names
from assistant.models import Passage


def _meta(doc: str, page: int = 1) -> dict:
    """Stored chunk metadata, as Chroma returns it."""
    return {"doc_id": doc, "page_start": page, "page_end": page, "title": doc.upper()}


def _p(cid: str, doc: str, score: float = 0.0) -> Passage:
    """A bare passage."""
    return Passage(id=cid, doc_id=doc, title="", text=cid, page_start=1, page_end=1, page_label="",
                   section="", score=score)


def test_rrf_sums_reciprocal_ranks_and_keeps_both_ranks():
    """A chunk ranked by both sides beats chunks ranked first by one side only."""
    dense = [("x", "tx", _meta("d1"), 0.9), ("both", "tb", _meta("d1"), 0.8)]
    lexical = [("y", "ty", _meta("d2"), 7.0), ("both", "tb", _meta("d1"), 5.0)]
    out = rrf(dense, lexical, rrf_k=60, dense_weight=1.0, bm25_weight=1.0)
    assert [p.id for p in out][0] == "both"
    both = out[0]
    assert (both.dense_rank, both.bm25_rank, both.dense_score, both.bm25_score) == (2, 2, 0.8, 5.0)
    assert both.score == round(2 / 62, 5)
    assert {p.id: (p.dense_rank, p.bm25_rank) for p in out[1:]} == {"x": (1, None), "y": (None, 1)}


def test_rrf_weights_decide_ties_between_the_sides():
    """With a heavier BM25 weight, BM25's first beats the dense first."""
    dense = [("d", "t", _meta("a"), 0.9)]
    lexical = [("l", "t", _meta("b"), 3.0)]
    assert rrf(dense, lexical, 60, 1.0, 2.0)[0].id == "l"
    assert rrf(dense, lexical, 60, 2.0, 1.0)[0].id == "d"


def test_quota_caps_one_document_then_spills_when_nothing_else_is_left():
    """At most `per_doc` from one document in the top-k; the rest only fills what no other doc can."""
    ps = [_p(f"a{i}", "A") for i in range(5)] + [_p("b0", "B"), _p("c0", "C")]
    top = quota(ps, k=5, per_doc=2)
    assert [p.id for p in top] == ["a0", "a1", "b0", "c0", "a2"]
    assert [p.id for p in quota(ps[:5], k=3, per_doc=2)] == ["a0", "a1", "a2"]  # only A: spill fills


def test_merge_puts_extras_into_the_top_k_once():
    """Extras displace the lowest-ranked of the top-k; duplicates are not added twice; nothing is lost."""
    base = [_p(f"b{i}", "A") for i in range(5)]
    out = merge(base, [_p("x", "B"), _p("b1", "A")], k=4)
    assert [p.id for p in out[:4]] == ["b0", "b1", "b2", "x"]
    assert sorted(p.id for p in out) == sorted([*(p.id for p in base), "x"])
    assert merge(base, [_p("b0", "A")], k=4) is base


def test_names_match_whole_words_per_family_and_respect_filters():
    """'VCS' and 'Gold Standard' name two families; 'vcss' names none; a filter leaves docs out."""
    registry = {
        "verra-vcs-standard": {"title": "VCS Standard", "issuer": "Verra"},
        "verra-program-guide": {"title": "VCS Program Guide", "issuer": "Verra"},
        "gs-principles": {"title": "Principles & Requirements", "issuer": "Gold Standard"},
    }
    patterns = name_patterns({d: aliases(d, r) for d, r in registry.items()})
    fams = families_in("how do vcs and gold standard treat leakage?", patterns, None)
    assert fams == {"verra": ["verra-vcs-standard", "verra-program-guide"], "gold-standard": ["gs-principles"]}
    assert families_in("what is a vcss?", patterns, None) == {}
    # a plural of a name in words names it too
    assert families_in("what do the vcs program guides say?", patterns, None) == {
        "verra-program-guide": ["verra-program-guide"]}
    assert families_in("vcs buffer", patterns, {"verra-program-guide"}) == {"verra": ["verra-program-guide"]}
    # Naming one document also names its issuer's family: the narrower name alone is meant.
    assert families_in("what does the vcs program guide say?", patterns, None) == {
        "verra-program-guide": ["verra-program-guide"]}
    assert families_in("does the vcs program guide differ from gold standard?", patterns, None) == {
        "verra-program-guide": ["verra-program-guide"], "gold-standard": ["gs-principles"]}
    # A filter that leaves one Verra document makes the family and the title the same set: kept once.
    assert families_in("what does the vcs program guide say?", patterns, {"verra-program-guide"}) == {
        "verra": ["verra-program-guide"]}


def test_lexical_expand_is_expand_query_exactly():
    """The fast per-index acronym expansion gives text.expand_query's result for every query in capitals."""
    from assistant.retrieval.lexical import LexicalIndex
    from assistant.retrieval.text import expand_query

    lex = LexicalIndex(["c1"], ["placeholder"], [{"doc_id": "d"}])
    lex.acronyms = {"VER": "Verified Emission Reduction", "GS-VER": "Gold Standard Verified Emission Reduction",
                    "CDM": "Clean Development Mechanism", "DOE": "Designated Operational Entity"}
    for q in ("How are GS-VERs issued?", "What is a VER?", "clean development mechanism rules", "DOEs and CDM",
              "VERY large", "nothing here", "What does the Designated Operational Entity check under CDM?"):
        assert lex.expand(q) == expand_query(q, lex.acronyms), q


def test_an_acronym_typed_in_lower_case_is_expanded_unless_the_corpus_uses_it_as_a_word():
    """"what is the ndc target" searches the long form too; "per" and "led", words in the corpus, do not."""
    from assistant.retrieval.lexical import LexicalIndex

    lex = LexicalIndex(["c1"], ["Nationally Determined Contribution (NDC) targets. Fees per tonne. Light Emitting "
                                "Diode (LED) lamps led the change. Price Escalation Rate (PER) rules. "
                                "See https://cdm.unfccc.int. Clean Development Mechanism (CDM)."],
                       [{"doc_id": "d"}])
    assert {"NDC", "LED", "PER", "CDM"} <= set(lex.acronyms)
    assert lex.expand("what is the ndc target of japan?").endswith("(Nationally Determined Contribution)")
    assert lex.expand("what are ndcs?").endswith("(Nationally Determined Contribution)")
    assert lex.expand("who registers cdm projects?").endswith("(Clean Development Mechanism)")  # a URL is no word
    assert lex.expand("fees per tonne of led lamps") == "fees per tonne of led lamps"
    assert lex.typed_lower() == {"ndc": "NDC", "cdm": "CDM"}


@pytest.mark.slow
def test_a_question_naming_two_documents_is_embedded_once_and_sees_both(tmp_settings):
    """One query embedding per question, and both named documents in the top-k."""
    from assistant.retrieval.hybrid import HybridSearch
    from ingest.pipeline import ingest

    ingest(tmp_settings)
    search = HybridSearch(tmp_settings)
    calls = []
    real = search.embedder.embed
    search.embedder = type("Counting", (), {"embed": lambda self, t, *a: calls.append(t) or real(t, *a)})()
    hits = search.search("Compare test document doc-a and test document doc-b on monitoring")
    assert len(calls) == 1 and len(calls[0]) == 1
    assert {"doc-a", "doc-b"} <= {p.doc_id for p in hits}


def test_naming_more_documents_than_a_comparison_holds_runs_no_search_per_document(tmp_settings, monkeypatch):
    """Past MAX_COMPARED named families (one name shared by many copies) the per-document searches are skipped."""
    from assistant.retrieval import hybrid
    from ingest.pipeline import ingest

    ingest(tmp_settings)
    search = hybrid.HybridSearch(tmp_settings)
    calls = []
    real = search.topic  # called only to run the per-document searches
    monkeypatch.setattr(search, "topic", lambda *a, **k: calls.append(a) or real(*a, **k))
    question = "Compare test document doc-a and test document doc-b on monitoring"
    search.search(question)
    assert calls, "two named documents: each is searched on its own"
    calls.clear()
    monkeypatch.setattr(hybrid, "MAX_COMPARED", 1)
    assert search.search(question)
    assert not calls


def test_rrf_puts_cover_pages_and_contents_after_passages_with_content():
    """A cover or a contents listing ranked first by both sides still comes after a passage that states something."""
    cover = "CLEAN DEVELOPMENT MECHANISM\nGlossary\nCDM terms\nVersion 11.0"
    contents = "Registration ........ 12\nIssuance ........ 15\nFees ........ 18\nAppeals ........ 21"
    prose = "The registration fee shall be paid before the registration request is reviewed."
    dense = [("cover", cover, _meta("d1"), 0.9), ("toc", contents, _meta("d1"), 0.8), ("prose", prose, _meta("d1"), 0.5)]
    lexical = [("cover", cover, _meta("d1"), 9.0), ("toc", contents, _meta("d1"), 8.0), ("prose", prose, _meta("d1"), 1.0)]
    assert [p.id for p in rrf(dense, lexical, 60, 1.0, 1.0)] == ["prose", "cover", "toc"]


def test_short_names_are_a_titles_codes_and_subtitle():
    """'TOOL07' and 'Principles & Requirements' name their documents; a code inside a reference number does not."""
    assert short_names("Methodological tool TOOL07: Tool to calculate the emission factor") == [
        "tool07", "tool to calculate the emission factor"]
    assert short_names("Gold Standard for the Global Goals: Principles & Requirements (core document 101)") == [
        "principles & requirements"]
    assert short_names("Glossary: CDM terms (CDM-EB07-A04-GLOS)") == ["cdm terms"]
    assert short_names("VCS Standard") == []
    registry = {"gs-pr": {"title": "Gold Standard for the Global Goals: Principles & Requirements",
                          "issuer": "Gold Standard"},
                "gs-luf": {"title": "Gold Standard for the Global Goals: Land Use & Forests Activity Requirements",
                           "issuer": "Gold Standard"}}
    patterns = name_patterns({d: aliases(d, r) for d, r in registry.items()})
    assert families_in("what do gold standard's principles & requirements say on safeguards?", patterns, None) == {
        "gs-pr": ["gs-pr"]}


def test_an_edition_year_names_one_document_of_a_serial():
    """'The 2023-24 Survey' is one edition; 'the 2022-23 and 2023-24 Economic Surveys' are both."""
    assert short_names("Economic Survey 2023-24, Chapter 6: Climate Change and Energy Transition") == [
        "climate change and energy transition", "economic survey 2023-24", "2023-24 economic survey", "2023-24 survey"]
    assert short_names("Paris Agreement") == []
    registry = {"es-22": {"title": "Economic Survey 2022-23, Chapter 7: Climate Change and Environment",
                          "issuer": "Ministry of Finance"},
                "es-23": {"title": "Economic Survey 2023-24, Chapter 6: Climate Change and Energy Transition",
                          "issuer": "Ministry of Finance"},
                "syn": {"title": "NDC synthesis report (FCCC/PA/CMA/2023/12)", "issuer": "UNFCCC"}}
    patterns = name_patterns({d: aliases(d, r) for d, r in registry.items()})
    assert families_in("how does the 2023-24 survey describe article 6.4?", patterns, None) == {"es-23": ["es-23"]}
    assert families_in("what does the economic survey 2022-23 say?", patterns, None) == {"es-22": ["es-22"]}
    assert families_in("what changed between the 2022-23 and 2023-24 economic surveys?", patterns, None) == {
        "economic-survey": ["es-22", "es-23"]}
    assert families_in("what did india promise in 2022-23?", patterns, None) == {}
    assert families_in("what does the unfccc synthesis count?", patterns, None) == {"ndc-synthesis": ["syn"]}



@pytest.mark.parametrize("question, side_by_side", [
    ("how do vcs and gold standard treat leakage?", True),
    ("what crediting period applies under the vcs standard, and under gold standard?", True),
    ("does gold standard define leakage the way verra does?", True),
    ("how does gold standard's buffer differ from verra's?", True),
    # one name only says which project: not a comparison
    ("how do we turn credits of our gold standard-labelled cdm project into gsvers?", False),
    ("can a gold standard project use the positive list instead of the cdm tools, and what applies?", False),
    ("how long must a verra-registered project wait before it is submitted to gold standard?", False),
    ("what does the cdm glossary say about leakage?", False),
    # one project's standing under two programmes is one fact, unless a comparison word asks for both
    ("our project is registered under both the cdm and the vcs: can its tcers become vcus?", False),
    ("is it possible to register a project under both verra and the cdm?", False),
    ("under both verra and gold standard, how does the crediting period differ?", True),
    ("do both verra and gold standard cap the crediting period?", True),
])
def test_a_question_compares_named_families_only_when_it_asks_to(question, side_by_side):
    """A comparison word, or two names joined by and/or/comma, asks for instruments side by side."""
    from assistant.retrieval.fusion import compares

    registry = {
        "verra-vcs-standard": {"title": "VCS Standard", "issuer": "Verra"},
        "gs-principles": {"title": "Principles & Requirements", "issuer": "Gold Standard"},
        "cdm-glossary": {"title": "CDM Glossary", "issuer": "UNFCCC"},
    }
    patterns = name_patterns({d: aliases(d, r) for d, r in registry.items()})
    fams = families_in(question, patterns, None)
    assert compares(question, patterns, fams) is side_by_side


def test_an_index_whose_chunks_read_back_empty_names_the_index_instead_of_crashing(tmp_settings, monkeypatch):
    """The registry lists documents but the chunk read returns none (seen once with two processes starting
    together): a short retry, then a clear error naming the index, not a ValueError from deep in BM25."""
    from assistant.retrieval import hybrid
    from ingest.errors import CarbonQAError
    from ingest.pipeline import ingest

    ingest(tmp_settings)
    search = hybrid.HybridSearch(tmp_settings)
    reads = []
    real_get = search.store.chunks.get

    class Empty:
        """The chunk collection as the racing read saw it: empty, then whole."""

        def count(self):
            return 0 if len(reads) < 2 else search_chunks.count()

        def get(self, **kw):
            return real_get(**kw)

    search_chunks = search.store.chunks
    monkeypatch.setattr(hybrid.time, "sleep", lambda s: reads.append(s))
    monkeypatch.setattr(search.store, "chunks", Empty())
    assert search.refresh().lexical.ids  # read whole on the third try
    assert len(reads) == 2
    reads.clear()
    monkeypatch.setattr(Empty, "count", lambda self: 0)
    search._view = None
    with pytest.raises(CarbonQAError, match="none of their chunks could be read"):
        search.refresh()


def test_a_typo_of_an_indexed_word_gets_a_hint_and_a_new_name_none():
    """"Standrad" and "Methodolgies" are near indexed words; "Zanzibar", short words and digits are not."""
    from assistant.retrieval.lexical import LexicalIndex

    lex = LexicalIndex(["c1"], ["The Gold Standard approves methodologies; the registry issues credits."],
                       [{"doc_id": "d"}])
    assert lex.closest_word("Standrad") == "standard"
    assert lex.closest_word("Methodolgies") == "methodology"
    assert lex.closest_word("Registy") == "registry"
    assert lex.closest_word("Zanzibar") is None and lex.closest_word("Stnd") is None
    assert lex.closest_word("tandard") is None  # a different first letter is another word, not a typo
