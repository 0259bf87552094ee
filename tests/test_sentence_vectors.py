"""Sentence vectors stored at ingest: one per sentence of every active chunk, switched with its document."""
from __future__ import annotations

import numpy as np

from helpers_pdf import make_rules_pdf
from ingest.chunking import sentence_spans
from ingest.embed import get_embedder
from ingest.models import embed_text
from ingest.pipeline import ingest
from ingest.sentvecs import SentenceVectors
from ingest.store import Store
from small_index import small_env, small_index  # noqa: F401  (fixtures)


def _files(settings) -> list[str]:
    return sorted(p.name for p in Store(settings).sentences.root.glob("*.npz"))


def test_every_sentence_of_every_active_chunk_has_its_in_context_vector(tmp_settings):
    ingest(tmp_settings)
    store = Store(tmp_settings)
    table = store.sentence_table()
    ids, texts, metas = store.all_chunks()
    emb = get_embedder(tmp_settings.embedding_model, tmp_settings.embedding_backend)
    for cid, text, meta in list(zip(ids, texts, metas))[:3]:
        spans = sentence_spans(text, meta["page_marks"], meta["section_marks"])
        assert sorted(table[cid]) == [a for a, _ in spans]
        full, shift = embed_text(meta["title"], meta["section"], text)
        _, pooled = emb.embed_spans([full], [[(a + shift, b + shift) for a, b in spans]])
        got = np.stack([table[cid][a] for a, _ in spans])
        # float16 on disk: equal to the fresh pooling within that precision
        assert np.allclose(got, pooled[0], atol=2e-3)
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=2e-3)


def test_a_replaced_document_leaves_only_its_new_vectors(tmp_settings):
    ingest(tmp_settings)
    before = _files(tmp_settings)
    assert len(before) == 2
    make_rules_pdf(tmp_settings.corpus_dir / "doc-a.pdf", tag="Z")
    ingest(tmp_settings)
    after = _files(tmp_settings)
    assert len(after) == 2 and [f for f in after if f.startswith("doc-b")] == [f for f in before if f.startswith("doc-b")]
    assert [f for f in after if f.startswith("doc-a")] != [f for f in before if f.startswith("doc-a")]
    store = Store(tmp_settings)
    ids, _, _ = store.all_chunks()
    assert set(store.sentence_table()) == set(ids)


def test_files_of_other_index_settings_or_damaged_files_are_ignored(tmp_path):
    sv = SentenceVectors(tmp_path, "s7-aaa")
    vec = np.eye(3, dtype=np.float32)
    sv.write("doc", "f" * 64, ["c1", "c2"], [[(0, 5), (6, 9)], [(0, 4)]], [vec[:2], vec[2:]])
    table = sv.load({"doc": "f" * 64})
    assert sorted(table) == ["c1", "c2"] and sorted(table["c1"]) == [0, 6]
    assert SentenceVectors(tmp_path, "s7-bbb").load({"doc": "f" * 64}) == {}
    next(tmp_path.glob("*.npz")).write_bytes(b"not a zip")
    assert sv.load({"doc": "f" * 64}) == {}
    assert not list(tmp_path.glob("*.tmp*")), "no temp file left behind"


def test_the_answer_step_reads_stored_vectors_instead_of_encoding_passages(small_env):
    from assistant.answering.answer import Assistant

    assistant = Assistant(small_env)
    scorer = assistant.scorer()
    assert scorer.stored, "the small index has stored sentence vectors"
    calls = []
    real = scorer.embedder.embed_spans
    scorer.embedder.embed_spans = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        ans = assistant.ask("What must the project proponent submit?")
    finally:
        del scorer.embedder.embed_spans
    chunk_calls = [a for a in calls if a[1]]  # calls with spans pool a passage's sentences
    assert ans.passages and not chunk_calls


def test_the_background_fill_encodes_each_version_once_and_answers_then_encode_only_the_question(tmp_settings):
    import threading

    from assistant.answering.answer import Assistant
    from ingest.solo import candidate_texts

    ingest(tmp_settings)
    assistant = Assistant(tmp_settings)
    stop = threading.Event()
    stop.set()
    assert assistant.fill_sentence_vectors(stop) == 0, "a stopped fill writes nothing"
    assert assistant.fill_sentence_vectors() == 2
    assert assistant.fill_sentence_vectors() == 0, "done once per document version"
    store = Store(tmp_settings)
    _ids, texts, metas = store.all_chunks()
    solo = store.standalone_table()
    assert set(solo) == set(candidate_texts(texts, metas)) and solo
    emb = get_embedder(tmp_settings.embedding_model, tmp_settings.embedding_backend)
    some = sorted(solo)[:3]
    assert np.allclose(np.stack([solo[t] for t in some]), emb.embed(some), atol=2e-3)

    fresh = Assistant(tmp_settings)  # a new process reads the files
    scorer = fresh.scorer()
    assert scorer.solo
    calls = []
    real = scorer.embedder.embed_spans
    scorer.embedder.embed_spans = lambda texts, *a, **k: calls.append(list(texts)) or real(texts, *a, **k)
    try:
        fresh.ask("What must the project proponent submit?")
    finally:
        del scorer.embedder.embed_spans
    assert all(len(c) == 1 for c in calls), f"only the question is encoded, got {calls}"

    make_rules_pdf(tmp_settings.corpus_dir / "doc-a.pdf", tag="Z")
    ingest(tmp_settings)
    assert sorted(p.name.split("@")[0] for p in store.sentences.root.glob("*.solo.npz")) == ["doc-b"]


def test_the_chat_service_fills_in_a_background_thread(tmp_settings):
    import threading

    from assistant.ui.service import ChatService

    ingest(tmp_settings)
    assert not Store(tmp_settings).standalone_table()
    service = ChatService(tmp_settings)
    service.warm_up()
    service.fill_in_background()
    for t in threading.enumerate():
        if t.name == "carbonqa-sentences":
            t.join(timeout=120)
    assert Store(tmp_settings).standalone_table()


def test_the_background_builds_the_register_and_a_failure_there_does_not_stop_the_fill(tmp_settings, monkeypatch):
    import threading

    from assistant.ui.service import ChatService

    ingest(tmp_settings)
    service = ChatService(tmp_settings)
    service.warm_up()

    def broken():
        raise RuntimeError("register build failed")

    monkeypatch.setattr(service, "register", broken)
    service.fill_in_background()
    for t in threading.enumerate():
        if t.name == "carbonqa-sentences":
            t.join(timeout=120)
    assert Store(tmp_settings).standalone_table(), "the sentence fill ran although the register failed"
    monkeypatch.undo()
    assert service.register().version == Store(tmp_settings).index_version()
