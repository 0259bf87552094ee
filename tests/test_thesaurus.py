"""The plain-language thesaurus: users' words reach the rulebooks' terms on the BM25 side."""
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.thesaurus import expansions, plus_terms


def test_plain_words_gain_the_documents_terms():
    """'auditor' and 'climate pledge' are searched as the documents name them."""
    assert "validation/verification body VVB" in expansions("Who pays the auditor for a site visit?")
    assert "nationally determined contribution NDC" in expansions("How much warming do the climate pledges imply?")
    assert "grievance" in expansions("How are complaints from local people handled?")
    assert "leakage" in expansions("Can we claim cuts our project causes outside its area?")
    assert "archived kept retained" in expansions("How long must we keep the data?")


def test_a_question_in_the_documents_words_is_left_as_written():
    """No expansion when the question already uses a word of the term, or no plain phrase at all."""
    assert expansions("Must the VVB hold accreditation?") == []
    assert expansions("What is the grievance redress mechanism for complaints?") == []
    assert plus_terms("What is the registration fee?") == "What is the registration fee?"
    # a phrase inside a longer word is no match: "offsets" must not fire on "offsetting"
    assert expansions("How are offsetting reagents stored?") == []


def test_bm25_finds_the_rulebook_sentence_for_the_users_word():
    """The sentence saying 'validation/verification body' ranks first for a question about 'the auditor'."""
    texts = ["The validation/verification body shall conduct a site visit before the verification report.",
             "Project proponents shall pay the registration fee before the request is processed.",
             "The site of the project is described in the project description."]
    lex = LexicalIndex(["c1", "c2", "c3"], texts, [{"doc_id": "d"}] * 3)
    plain = lex.search("When must the auditor make a site visit?", 3, None)
    expanded = lex.search(plus_terms("When must the auditor make a site visit?"), 3, None)
    assert expanded[0][0] == lex.ids.index("c1")
    assert expanded[0][1] > next(s for r, s in plain if r == lex.ids.index("c1"))


def test_the_hybrid_search_sends_the_expansion_to_bm25_and_embeds_the_question_as_asked(tmp_settings, monkeypatch):
    """The documents' terms reach the BM25 query; the one query embedding is of the user's own words."""
    from assistant.retrieval import lexical
    from assistant.retrieval.hybrid import HybridSearch
    from ingest.pipeline import ingest

    ingest(tmp_settings)
    search = HybridSearch(tmp_settings)
    bm25_queries, embedded = [], []
    real_search, real_embed = lexical.LexicalIndex.search, search.embedder.embed
    monkeypatch.setattr(lexical.LexicalIndex, "search",
                        lambda self, q, *a: bm25_queries.append(q) or real_search(self, q, *a))
    search.embedder = type("Spy", (), {"embed": lambda self, t, *a: embedded.append(t) or real_embed(t, *a)})()
    search.search("When must the auditor visit the site?")
    assert bm25_queries and all("validation/verification body" in q for q in bm25_queries)
    assert embedded and not any("validation/verification body" in t for batch in embedded for t in batch)
