"""Sentences encoded on their own, once per document version, so answering needs no encoding but the question's.

Ingest stores every sentence's in-context vector for free; the answer step also compares the
question with its best candidates encoded on their own, which costs ~130 ms per question on 2
cores. Those vectors depend only on the sentence, so they are filled here once per document
version (about 75 s of CPU for the bundled corpus) while the chat is already serving.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from ingest.chunking import sentence_spans
from ingest.clean import normalise_ws

MIN_WORDS, MAX_WORDS = 4, 90  # the answer step's candidate sentences


def candidate_texts(texts: list[str], metas: list[dict]) -> list[str]:
    """Distinct sentences of some chunks, exactly as the answer step quotes them."""
    out: dict[str, None] = {}
    for text, meta in zip(texts, metas):
        for a, b in sentence_spans(text, meta.get("page_marks", "[]"), meta.get("section_marks", "[]")):
            s = normalise_ws(text[a:b])
            if s and MIN_WORDS <= len(s.split()) <= MAX_WORDS:
                out[s] = None
    return list(out)


def fill_standalone(store, embedder, on_doc: Callable[[dict[str, np.ndarray]], None] | None = None,
                    stop: threading.Event | None = None) -> int:
    """Encode and store the sentences of every active document version that lacks them; returns how many."""
    done = 0
    for doc_id, sha in sorted(store.active().items()):
        if stop is not None and stop.is_set():
            break
        if store.sentences.has_solo(doc_id, sha):
            continue
        got = store.chunks.get(where={"$and": [{"doc_id": doc_id}, {"doc_sha256": sha}]},
                               include=["documents", "metadatas"])
        texts = candidate_texts(got["documents"], got["metadatas"])
        vecs = embedder.embed(texts, batch_size=8) if texts else np.zeros((0, embedder.dim), np.float32)
        store.sentences.write_solo(doc_id, sha, texts, vecs)
        if on_doc is not None:
            on_doc(dict(zip(texts, vecs)))
        done += 1
    return done
