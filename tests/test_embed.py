"""The two embedding backends: same model, same kind of vector; one question is encoded once."""
from __future__ import annotations

import numpy as np
import pytest

from ingest.embed import OnnxEmbedder, get_embedder

TEXTS = [
    "The crediting period for a project is ten years and may be renewed twice.",
    "Buffer credits cover the non-permanence risk of removals.",
    "What is additionality?",
]


def test_onnx_vectors_are_normalised_and_order_free():
    """Unit-length 384-d rows, each the same whether embedded alone or in a batch."""
    emb = OnnxEmbedder()
    batch = emb.embed(TEXTS, batch_size=2)
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    emb.clear_query_cache()
    alone = np.vstack([emb.embed([t]) for t in TEXTS])
    assert np.min(np.sum(alone * batch, axis=1)) > 0.9999
    assert emb.embed([]).shape == (0, 384)


def test_a_repeated_question_is_encoded_once(monkeypatch):
    """Retrieval and the answerer embed the same question: the second call is a lookup."""
    emb = OnnxEmbedder()
    first = emb.embed([TEXTS[2]])
    monkeypatch.setattr(emb, "_session", None)
    monkeypatch.setattr(emb, "warm_up", lambda: pytest.fail("the model ran again"))
    again = emb.embed([TEXTS[2]])
    assert np.array_equal(first, again) and again is not first
    again[0, 0] = 9.0  # callers get copies: the remembered vector stays intact
    assert emb.embed([TEXTS[2]])[0, 0] == first[0, 0]


@pytest.mark.slow
def test_onnx_int8_agrees_with_torch_fp32():
    """int8 ONNX and fp32 sentence-transformers give near-identical vectors (cosine ≥ 0.99)."""
    onnx = get_embedder("all-MiniLM-L6-v2", "onnx").embed(TEXTS)
    torch = get_embedder("all-MiniLM-L6-v2", "torch").embed(TEXTS)
    assert np.min(np.sum(onnx * torch, axis=1)) >= 0.99


def test_batches_run_side_by_side_give_the_serial_vectors():
    """Many texts go through parallel one-thread runs; rows and span rows still match the serial pass."""
    texts = [f"{t} Clause {i} applies to every project proponent." for i, t in enumerate(TEXTS * 5)]
    spans = [[(0, 20), (20, len(t))] for t in texts]
    par = OnnxEmbedder(threads=2)
    ser = OnnxEmbedder(threads=1)
    pv, ps = par.embed_spans(texts, spans, batch_size=2)
    sv, ss = ser.embed_spans(texts, spans, batch_size=2)
    assert par._bulk is not None and ser._bulk is None  # the parallel path really ran
    assert np.allclose(pv, sv, atol=1e-5)
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(ps, ss))
    assert float(pv[7] @ par.embed([texts[7]])[0]) > 0.9999  # a lone text takes the serial path
