"""The weakest word-piece match of a question in a sentence: the question piece the sentence matches worst.

A near miss ("What is the renewal fee …?" over a page on the registration fee) shares most of the
question's words and leaves one piece unmatched. For each content piece of the question (no
stopwords, no punctuation), take its best cosine to any piece of the sentence; the lowest of those
is the sentence's weakest match. The pieces and their vectors are the embedding model's own word
pieces and input embedding table: a lookup, no model run.

Measured on dev (680 questions, out of fold), before choosing this form:
- as a sentence feature and, through the best of the three best sentences, a question feature:
  question AUC 0.790 -> 0.807, abstain recall 0.407 -> 0.421 at false abstain 0.040; replayed,
  key-fact recall 0.589 -> 0.593, citation precision 0.666 -> 0.671, AUC 0.796 -> 0.814.
- the mean best match (recall) and the sentence side (precision), as in BERTScore, added nothing
  more with these vectors.
- the model's contextual states, the candidates encoded at question time, did as well (0.593, 0.675,
  0.813) at 100 ms a question (extractive p50 43 -> 151 ms on 2 cores).
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from assistant.retrieval.text import STOP
from ingest.embed import resolve_model_dir
from ingest.errors import CarbonQAError

_WORD = re.compile(r"\w")


def content_pieces(pieces: list[str]) -> list[int]:
    """Indices of the pieces of words that carry content: no stopwords, no punctuation."""
    keep: list[int] = []
    word_keeps = False
    for k, w in enumerate(pieces):
        if w.startswith("##"):
            if word_keeps:
                keep.append(k)
            continue
        word_keeps = bool(_WORD.search(w)) and w.lower() not in STOP
        if word_keeps:
            keep.append(k)
    return keep


def word_pieces(pieces: list[str]) -> list[int]:
    """Indices of the pieces that hold a letter or digit."""
    return [k for k, w in enumerate(pieces) if _WORD.search(w)]


def weakest_match(question: tuple[list[str], np.ndarray], sentence: tuple[list[str], np.ndarray]) -> float:
    """The lowest, over the question's content pieces, of the best cosine to a piece of the sentence."""
    qp, qs = question
    sp, ss = sentence
    q_pieces, s_pieces = content_pieces(qp) or word_pieces(qp), word_pieces(sp)
    if not q_pieces or not s_pieces:
        return 0.0
    sim = qs[q_pieces].astype(np.float32) @ ss[s_pieces].astype(np.float32).T
    return float(sim.max(axis=1).min())


@lru_cache(maxsize=2)
def _table(model: str):
    """The model's tokenizer and its word-piece input embeddings scaled to unit length (float16, 23 MB)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    folder = resolve_model_dir(model)
    weights, vocab = folder / "model.safetensors", folder / "tokenizer.json"
    for f in (weights, vocab):
        if not f.is_file():
            raise CarbonQAError(f"embedding model '{model}': {f} is missing (word-piece alignment needs it)")
    tensors = load_file(str(weights))
    key = next((k for k in tensors if k.endswith("word_embeddings.weight")), None)
    if key is None:
        raise CarbonQAError(f"{weights}: no word_embeddings.weight tensor (word-piece alignment needs it)")
    table = tensors[key].astype(np.float32)
    table /= np.clip(np.linalg.norm(table, axis=1, keepdims=True), 1e-12, None)
    tok = Tokenizer.from_file(str(vocab))
    tok.no_padding()
    tok.no_truncation()
    return tok, table.astype(np.float16)


class Aligner:
    """Word pieces of questions and sentences, with their rows of the model's input embedding table."""

    def __init__(self, model: str = "all-MiniLM-L6-v2"):
        self.model = model

    def states(self, texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
        """Each text's word pieces (no [CLS]/[SEP]) and their unit-length embeddings."""
        tok, table = _table(self.model)
        out = []
        for enc in tok.encode_batch(list(texts)):
            keep = [k for k, w in enumerate(enc.tokens) if w not in ("[CLS]", "[SEP]")]
            out.append(([enc.tokens[k] for k in keep], table[[enc.ids[k] for k in keep]]))
        return out

    def weakest(self, question: str, sentences: list[str]) -> list[float]:
        """The weakest match of the question in each sentence."""
        if not sentences:
            return []
        q, *rest = self.states([question, *sentences])
        return [weakest_match(q, s) for s in rest]
