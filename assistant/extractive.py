"""The extractive answerer: the 1–4 sentences that best answer the question, verbatim, cited."""
from __future__ import annotations

import math
import re
import threading

import numpy as np

from assistant.models import Citation, Passage
from assistant.quotes import Sentence, cite, sentences
from assistant.text import content_words, tokenize

CACHE_SIZE = 20000
_NUMERIC_Q = re.compile(r"\b(how (many|much|long|often)|what (percentage|share|proportion|number)|minimum|maximum|at least|threshold|deadline|per cent|%|years?)\b", re.I)
_DEFINE_Q = re.compile(r"\b(define[sd]?|definition|meaning|what is (a|an|the)?|what are|what does .* mean|stand for)\b", re.I)


class ExtractiveAnswerer:
    """Scores candidate sentences by meaning (embeddings) and by the question's rare words (IDF)."""

    name = "extractive"

    def __init__(self, embedder, idf: dict[str, float], max_sentences: int = 4, passages_used: int = 10):
        self.embedder = embedder
        self.idf = idf
        self.max_sentences = max_sentences
        self.passages_used = passages_used
        self.max_embedded = 24
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def score(self, question: str, passages: list[Passage]) -> list[tuple[float, Sentence]]:
        """Every candidate sentence of the top passages with its score, best first."""
        cands: list[Sentence] = []
        ranks: list[int] = []
        for r, p in enumerate(passages[: self.passages_used]):
            for s in sentences(p):
                words = len(s.text.split())
                if 4 <= words <= 90:
                    cands.append(s)
                    ranks.append(r)
        if not cands:
            return []
        terms = content_words(question)
        weights = {t: self.idf.get(t, max(self.idf.values(), default=1.0)) for t in terms}
        total = sum(weights.values()) or 1.0
        lexical_of = [sum(w for t, w in weights.items() if t in set(tokenize(c.text))) / total for c in cands]
        # Encoding sentences is most of an answer's time: embed only the lexically most promising
        # ones (the rest cannot overtake them), and remember vectors of sentences seen before.
        order = sorted(range(len(cands)), key=lambda i: (-lexical_of[i], ranks[i]))[: self.max_embedded]
        dense = np.zeros(len(cands), dtype=np.float32)
        qvec = self._vectors([question], cache=False)[0]
        vecs = self._vectors([cands[i].text for i in order])
        for i, v in zip(order, vecs):
            dense[i] = float(v @ qvec)
        numeric = bool(_NUMERIC_Q.search(question))
        define = bool(_DEFINE_Q.search(question))
        out = []
        for c, r, d, lexical in zip(cands, ranks, dense, lexical_of):
            score = 0.55 * float(d) + 0.45 * lexical - 0.01 * r
            if len(c.text.split()) < 8 or c.text.rstrip().endswith(";"):
                score -= 0.05  # clause fragments read badly alone (list lead-ins get their items)
            if numeric and re.search(r"\d", c.text):
                score += 0.04
            if define and re.search(r"\b(means|refers to|is defined as|shall mean)\b", c.text):
                score += 0.04
            out.append((score, c))
        out.sort(key=lambda x: -x[0])
        return out

    def _vectors(self, texts: list[str], cache: bool = True) -> np.ndarray:
        """Embeddings with a bounded per-process cache keyed by sentence text."""
        todo = [t for t in dict.fromkeys(texts) if not (cache and t in self._cache)]
        if todo:
            fresh = self.embedder.embed(todo)
            if not cache:
                return fresh
            with self._lock:  # chat requests run in parallel threads
                for t, v in zip(todo, fresh):
                    self._cache[t] = v
                while len(self._cache) > CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))
        with self._lock:
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def missing_terms(self, question: str, passages: list[Passage]) -> float:
        """IDF-weighted share of the question's terms that appear in none of the passages."""
        terms = content_words(question)
        if not terms:
            return 0.0
        present: set[str] = set()
        for p in passages:
            present.update(tokenize(f"{p.title} {p.section} {p.text}"))
        top = max(self.idf.values(), default=1.0)
        weights = {t: self.idf.get(t, top) for t in terms}
        total = sum(weights.values()) or 1.0
        return sum(w for t, w in weights.items() if t not in present) / total

    def select(self, scored: list[tuple[float, Sentence]], must_cover: list[list[str]] | None = None) -> list[tuple[float, Sentence]]:
        """The best sentence, then close runners-up that add something, one per named family first."""
        if not scored:
            return []
        best = scored[0][0]
        chosen: list[tuple[float, Sentence]] = []
        for docs in must_cover or []:
            hit = next((x for x in scored if x[1].passage.doc_id in docs), None)
            if hit and hit not in chosen:
                chosen.append(hit)
        if scored[0] not in chosen:
            chosen.insert(0, scored[0])
        for sc, s in scored[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if sc < best - 0.10:
                break
            if any(_overlap(s.text, c.text) > 0.6 for _, c in chosen):
                continue
            chosen.append((sc, s))
        return chosen[: max(self.max_sentences, len(must_cover or []))]

    def answer(self, question: str, passages: list[Passage], must_cover=None) -> tuple[str, list[Citation], float]:
        """(answer text with [n] markers, citations, support score)."""
        scored = self.score(question, passages)
        if not scored:
            return "", [], 0.0
        chosen = self.select(scored, must_cover)
        cits = [cite(i + 1, s, sc) for i, (sc, s) in enumerate(chosen)]
        text = " ".join(f"{c.quote} [{c.n}]" for c in cits)
        return text, cits, scored[0][0]


def _overlap(a: str, b: str) -> float:
    """Token Jaccard overlap, to skip near-duplicate sentences (overlapping chunks repeat text)."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return len(ta & tb) / max(1, len(ta | tb))


def idf_table(token_lists: list[list[str]]) -> dict[str, float]:
    """Inverse document frequency over chunks."""
    n = len(token_lists)
    df: dict[str, int] = {}
    for toks in token_lists:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}


def nearest(passages: list[Passage], scored: list[tuple[float, Sentence]], n: int = 3) -> list[Citation]:
    """Citations for the nearest passages when abstaining: best sentence of up to n passages."""
    out, seen = [], set()
    for sc, s in scored:
        if s.passage.id in seen:
            continue
        seen.add(s.passage.id)
        out.append(cite(len(out) + 1, s, sc))
        if len(out) >= n:
            break
    return out


