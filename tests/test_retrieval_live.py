"""A live search object follows re-ingests (issue 11a) and BM25's cache is keyed by chunk ids (11b)."""
from __future__ import annotations

from helpers_pdf import make_rules_pdf
from ingest.pipeline import ingest
from ingest.store import Store


def _search(settings):
    """A fresh HybridSearch over the settings' index."""
    from assistant.retrieval.hybrid import HybridSearch

    return HybridSearch(settings)


def test_live_search_finds_the_new_text_after_a_reingest(tmp_settings):
    """Change a document and re-ingest it while a search object is live: no restart, no old text."""
    ingest(tmp_settings)
    search = _search(tmp_settings)
    assert any("Rule set A," in p.text for p in search.search("rule set A registry records"))
    make_rules_pdf(tmp_settings.corpus_dir / "doc-a.pdf", tag="Zanzibar")
    assert [r.status for r in ingest(tmp_settings).results] == ["ingested", "skipped"]
    hits = search.search("Zanzibar rules for the registration of projects")
    new = [p for p in hits if "Zanzibar" in p.text]
    assert new, "the changed document's new text is not found until a restart"
    assert any(p.dense_rank for p in new) and any(p.bm25_rank for p in new), "one side still serves the old index"
    old = [p for p in hits if p.doc_id == "doc-a" and "Rule set A," in p.text]
    assert not old, "an answer could mix the old and new version of doc-a"
    assert search.lexical.texts and not any("Rule set A," in t for t in search.lexical.texts)


def test_unchanged_store_costs_one_stat_per_query(tmp_settings, monkeypatch):
    """While nothing is written, queries reuse the view: the registry is not read again."""
    ingest(tmp_settings)
    search = _search(tmp_settings)
    view = search.refresh()
    object.__setattr__(view, "racy", False)  # as if the last write were long ago
    reads = []
    monkeypatch.setattr(search.store, "registry", lambda: reads.append(1) or {})
    for _ in range(3):
        assert search.current() is view
    assert not reads


def test_version_matches_the_store(tmp_settings):
    """The version computed from the registry read is Store.index_version() (same formula)."""
    ingest(tmp_settings)
    assert _search(tmp_settings).refresh().version == Store(tmp_settings).index_version()


def test_reverted_document_reads_bm25_rows_by_id(tmp_settings):
    """A -> B -> A again: same index version as the first, chunks in another order; BM25 stays aligned."""
    corpus = tmp_settings.corpus_dir
    make_rules_pdf(corpus / "doc-a.pdf", tag="Alpha")
    make_rules_pdf(corpus / "doc-b.pdf", tag="Bravo", extra_pages=2)
    ingest(tmp_settings)
    first = Store(tmp_settings).index_version()
    _search(tmp_settings).search("Bravo")  # writes the BM25 cache for this chunk set
    make_rules_pdf(corpus / "doc-a.pdf", tag="Changed")
    ingest(tmp_settings)
    _search(tmp_settings).search("Bravo")
    make_rules_pdf(corpus / "doc-a.pdf", tag="Alpha")  # the original bytes again
    ingest(tmp_settings)
    assert Store(tmp_settings).index_version() == first
    search = _search(tmp_settings)  # as after a restart: loads the cached BM25 of the first run
    lex = search.lexical
    for query, word in (("Bravo", "Bravo"), ("Alpha", "Alpha")):
        rows = lex.search(query, 5, None)
        assert rows and all(word in lex.texts[r] for r, _ in rows), f"BM25 rows misaligned for {query!r}"


def test_lexical_cache_is_reused_only_for_the_same_ids(tmp_path, monkeypatch):
    """The same chunks in another order load the cache and rank alike; other chunks or tokens rebuild it."""
    from assistant.retrieval import lexical
    from assistant.retrieval.lexical import LexicalIndex, bm25_cache_dir

    ids = ["c1", "c2", "c3"]
    texts = ["buffer pool credits", "crediting period renewal", "validation body accreditation"]
    metas = [{"doc_id": "d1"}, {"doc_id": "d2"}, {"doc_id": "d1"}]
    cache = bm25_cache_dir(tmp_path, ids)
    first = LexicalIndex(ids, texts, metas, cache)
    again = LexicalIndex(ids[::-1], texts[::-1], metas[::-1], cache)
    assert (cache / "ids.json").exists() and bm25_cache_dir(tmp_path, ids[::-1]) == cache
    # tokenised by other rules, the same chunks are another index
    monkeypatch.setattr(lexical, "TOKENIZER_VERSION", "old")
    assert bm25_cache_dir(tmp_path, ids) != cache
    monkeypatch.undo()
    for index in (first, again):
        (row, _), = index.search("crediting period", 3, None)
        assert index.ids[row] == "c2" and "crediting" in index.texts[row]
    other = LexicalIndex(["c9"], ["quorum rules"], [{"doc_id": "d3"}], cache)  # wrong cache passed in
    (row, _), = other.search("quorum", 3, None)
    assert other.texts[row] == "quorum rules"
