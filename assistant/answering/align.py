"""Word-piece alignment of a question and a sentence (as in BERTScore): how much of each finds its match in the other.

One vector per sentence cannot tell "The signatory shall be an individual with legal signing
authority" from a sentence that only shares the topic of "Who has to sign the annual report?".
Matching each word piece's contextual state to its closest piece on the other side can: "sign" meets
"signatory", "warming" meets "temperature". Three numbers per pair:
- recall: the mean, over the question's content pieces, of the best cosine to a piece of the sentence;
- precision: the mean, over the sentence's pieces, of the best cosine to a piece of the question;
- weakest: the lowest of those best cosines, the question piece the sentence matches worst. A near
  miss ("What is the renewal fee …?" over a page on the registration fee) leaves one piece unmatched.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

import numpy as np

from assistant.retrieval.text import STOP

CACHE_SIZE = 1024  # sentences; float16 states, about 27 kB each (35 word pieces)
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


def alignment(question: tuple[list[str], np.ndarray],
              sentence: tuple[list[str], np.ndarray]) -> tuple[float, float, float]:
    """(recall, precision, weakest) of one question and one sentence, from their word pieces and unit states."""
    qp, qs = question
    sp, ss = sentence
    q_all, s_all = word_pieces(qp), word_pieces(sp)
    q_content = content_pieces(qp) or q_all
    if not q_all or not s_all:
        return 0.0, 0.0, 0.0
    sim = qs[q_all].astype(np.float32) @ ss[s_all].astype(np.float32).T
    pos = {k: r for r, k in enumerate(q_all)}
    best = sim[[pos[k] for k in q_content]].max(axis=1)
    return float(best.mean()), float(sim.max(axis=0).mean()), float(best.min())


class Aligner:
    """Token states of questions and sentences, encoded on demand and cached by text."""

    def __init__(self, embedder):
        self.embedder = embedder
        self._cache: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def states(self, texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
        """Word pieces and float16 states of each text, encoding only those not cached."""
        with self._lock:
            known = {t: self._cache.get(t) for t in texts}
            for t, v in known.items():
                if v is not None:
                    self._cache.move_to_end(t)
        todo = [t for t, v in known.items() if v is None]
        if todo:
            for t, (pieces, st) in zip(todo, self.embedder.token_states(todo)):
                known[t] = (pieces, st.astype(np.float16))
            with self._lock:  # chat requests run in parallel threads
                for t in todo:
                    self._cache[t] = known[t]
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return [known[t] for t in texts]

    def score(self, question: str, sentences: list[str]) -> list[tuple[float, float, float]]:
        """(recall, precision, weakest) of the question against each sentence."""
        if not sentences:
            return []
        q, *rest = self.states([question, *sentences])
        return [alignment(q, s) for s in rest]
