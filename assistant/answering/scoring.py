"""Evidence scoring: candidate sentences of the retrieved passages, their features and probabilities.

`Scorer.candidates` collects the sentences worth judging (with their question similarity);
`Scorer.judge` applies the answerability model; `select` picks the sentences to quote.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from assistant.answering.align import Aligner
from assistant.answering.answerability import Model, sigmoid
from assistant.answering.features import Candidate, lacks_value, pair_features, question_features
from assistant.answering.question import Asked, states_value
from assistant.answering.rerank import passage_scores, restack
from assistant.models import Citation, Passage
from assistant.answering.quotes import Sentence, cite, quotable, sentences, span
from assistant.retrieval.text import content_words, token_overlap, tokenize, weighted_coverage
from ingest.chunking import sentence_spans
from ingest.models import embed_text

CACHE_SIZE = 2000  # passages
TEXT_CACHE_SIZE = 20000  # sentences
# Two-stage candidate choice, set on dev out of fold: the 48 best by the cheap pre-score get the
# in-context sentence vectors stored at ingest (free), and only the 12 best of pre-score + that
# similarity are embedded on their own, the one encoding left per question. Against embedding
# the 32 best on their own (dev, out of fold): key-fact recall 0.567 vs 0.561, abstain recall
# 0.463 vs 0.463, false abstain 0.041 vs 0.048, at about a quarter of the answer step's time
# (test, read once afterwards, was 2-3 questions lower per measure: evals/README.md). In-context
# vectors alone were faster still but lost abstain recall (0.358) and key-fact recall (0.533).
LATE_POOL = 48
LATE_WEIGHT = 1.0
EMBEDDED = 12
GROUP_FLOOR = 3  # candidates kept per instrument a comparison names


def _best(pool: list[Candidate], score: dict[int, float], n: int,
          groups: list[list[str]] | None) -> list[Candidate]:
    """The n best candidates by score, each group's GROUP_FLOOR best and every glossary entry among them.

    A glossary entry offered for a "what is X" question is the instrument's own definition of X; on the
    pre-score it competed with every sentence that uses X ("…procedures for quantifying leakage") and was
    often cut before the model could judge it.
    """
    ranked = sorted(pool, key=lambda c: -score[id(c)])
    kept: dict[int, Candidate] = {id(c): c for c in ranked if _entry(c)}
    for docs in groups if groups and len(groups) >= 2 else []:
        own = [c for c in ranked if c.sentence.passage.doc_id in docs and id(c) not in kept]
        kept.update((id(c), c) for c in own[:GROUP_FLOOR])
    rest = [c for c in ranked if id(c) not in kept][: max(0, n - len(kept))]
    return sorted([*kept.values(), *rest], key=lambda c: -score[id(c)])


def _entry(c: Candidate) -> bool:
    """The opening sentence of a glossary definition passage (`Glossary.passages`): the entry itself."""
    return c.sentence.passage.id.startswith("def:") and c.sentence.offset == 0


def idf_table(token_lists: list[list[str]]) -> dict[str, float]:
    """Inverse document frequency over chunks."""
    n = len(token_lists)
    df: dict[str, int] = {}
    for toks in token_lists:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}


def closest_cosine(passages: list[Passage]) -> float | None:
    """The best dense cosine of the question to a retrieved passage; None when no passage came from the dense side."""
    sims = [p.dense_score for p in passages if p.dense_rank and p.dense_score is not None]
    return max(sims) if sims else None


def missing_share(question: str, passages: list[Passage], idf: dict[str, float]) -> float:
    """IDF-weighted share of the question's terms that appear in none of the passages.

    Rare question words that no candidate passage contains are a strong sign that the corpus
    does not hold the answer (e.g. "quorum" when no document mentions one).
    """
    terms = content_words(question)
    if not terms:
        return 0.0
    present: set[str] = set()
    for p in passages:
        present.update(tokenize(f"{p.title} {p.section} {p.text}"))
    top = max(idf.values(), default=1.0)
    weights = {t: idf.get(t, top) for t in terms}
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t not in present) / total


@dataclass
class Judgement:
    """What the answerability model says about one question's candidates."""

    scored: list[tuple[float, Sentence]]  # (P(sentence states the answer), sentence), best first
    support: float  # P(the corpus answers the question)
    features: np.ndarray
    lacks_value: bool  # a value is asked for and none of the best sentences states one
    sentence_p: np.ndarray | None = None  # the sentence model's P per candidate (in candidate order), before stacking
    passage_scores: np.ndarray | None = None  # the reranker's score per passage (retrieval order), when it ran


def judgement(model: Model, cands: list[Candidate], X: np.ndarray, logits: np.ndarray,
              passages: list | None = None) -> Judgement:
    """The model's verdict from the candidates' sentence logits (from the model, or out-of-fold in tuning).

    Given the passages (in retrieval order), the sentences are re-weighed by their passage's rank
    (`rerank.restack`); without them (the baselines) the sentence model's probabilities stand.
    """
    support = model.answerable(question_features(X, logits))
    no_value = lacks_value(X, logits, model.value_top_k)
    probs = sigmoid(logits)
    z = passage_scores(passages, cands, X, probs, model.passage) if passages and model.passage else None
    final = restack(passages, cands, probs, z, model.passage.get("stack")) if z is not None else probs
    order = np.argsort(-final, kind="stable")
    return Judgement([(float(final[i]), cands[int(i)].sentence) for i in order], support, X, no_value, probs, z)


class Scorer:
    """Sentence candidates and their probabilities; sentence vectors are cached per process."""

    def __init__(self, embedder, idf: dict[str, float], passages_used: int = 10, max_embedded: int = EMBEDDED,
                 stored: dict[str, dict[int, np.ndarray]] | None = None, late_pool: int = LATE_POOL,
                 solo: dict[str, np.ndarray] | None = None):
        self.embedder = embedder
        self.idf = idf
        self.passages_used = passages_used
        self.max_embedded = max_embedded
        # chunk id -> {sentence offset: vector}, pooled at ingest from the chunk's own encoding pass
        self.stored = stored or {}
        self._cache: dict[str, dict[int, np.ndarray]] = {}
        self._texts: dict[str, np.ndarray] = {}
        # sentence text -> its vector encoded on its own, filled per document version (ingest/solo.py)
        self.solo = dict(solo or {})
        self._lock = threading.Lock()
        self.late_pool = late_pool
        self.aligner = Aligner(embedder.name)

    def candidates(self, asked: Asked, focus: str, passages: list[Passage],
                   groups: list[list[str]] | None = None) -> list[Candidate]:
        """The sentences of the top passages most worth judging, with their dense similarity.

        `groups` (the document ids of each instrument a comparison names) keep GROUP_FLOOR sentences
        each through both cuts: on the pre-score alone one instrument's wording could fill every slot,
        and the other was then said to be silent on a provision it states.
        """
        pool: list[Candidate] = []
        for rank, p in enumerate(passages[: self.passages_used]):
            sents = sentences(p)
            for i, s in enumerate(sents):
                if quotable(s.text, p):
                    window = " ".join(x.text for x in sents[max(0, i - 1): i + 2])
                    pool.append(Candidate(s, rank, window=window))
        if not pool:
            return []
        top = max(self.idf.values(), default=1.0)
        weights = {t: self.idf.get(t, top) for t in asked.terms}

        def promise(c: Candidate) -> float:
            """Cheap pre-score: encoding is most of the time, so only promising sentences are embedded."""
            lex = weighted_coverage(weights, set(tokenize(c.sentence.text)))
            return lex + 0.15 * states_value(c.sentence.text, asked) + 0.1 / (1 + c.rank)

        pre = {id(c): promise(c) for c in pool}
        pool = _best(pool, pre, self.late_pool, groups)
        qvec = self.embedder.embed([focus])[0]
        late = self._vectors([c.sentence for c in pool]) @ qvec
        for c, sim in zip(pool, late):
            c.dense_context = float(sim)
            pre[id(c)] += LATE_WEIGHT * float(sim)
        pool = _best(pool, pre, self.max_embedded, groups)
        sims = self._standalone([c.sentence.text for c in pool]) @ qvec
        for c, sim in zip(pool, sims):
            c.dense = float(sim)
        for r, i in enumerate(np.argsort(-sims)):
            pool[int(i)].dense_rank = r
        for c, weakest in zip(pool, self.aligner.weakest(focus, [c.sentence.text for c in pool])):
            c.align_weakest = weakest
        return pool

    def judge(self, model: Model, asked: Asked, cands: list[Candidate], missing: float,
              named_docs: set[str], passages: list | None = None) -> Judgement:
        """Every candidate's P(states the answer), P(the corpus answers), and whether a value asked for is absent."""
        X = pair_features(asked, cands, self.idf, missing, named_docs)
        return judgement(model, cands, X, model.sentence_logits(X), passages)

    def clear_caches(self) -> None:
        """Forget what this process encoded itself (the bench times fresh questions)."""
        with self._lock:
            self._cache.clear()
            self._texts.clear()

    def add_solo(self, table: dict[str, np.ndarray]) -> None:
        """Take in standalone sentence vectors as the background fill writes them."""
        with self._lock:
            self.solo.update(table)

    def _standalone(self, texts: list[str]) -> np.ndarray:
        """Each sentence embedded on its own: filled per document version, else encoded now and cached."""
        with self._lock:
            known = {t: self.solo.get(t, self._texts.get(t)) for t in texts}
        todo = [t for t, v in known.items() if v is None]
        if todo:
            # Batches of 4: sentence lengths vary widely, and padding 12 to the longest cost 1.7x the time.
            fresh = self.embedder.embed(todo, batch_size=4)
            with self._lock:  # chat requests run in parallel threads
                for t, v in zip(todo, fresh):
                    self._texts[t] = v
                while len(self._texts) > TEXT_CACHE_SIZE:
                    self._texts.pop(next(iter(self._texts)))
        with self._lock:
            rows = [known[t] if known[t] is not None else self._texts[t] for t in texts]
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.embedder.dim), np.float32)

    def _vectors(self, sents: list[Sentence]) -> np.ndarray:
        """Each sentence's vector in its passage's context: stored at ingest, else pooled here once per passage."""
        rows = []
        for s in sents:
            pid = s.passage.id
            table = self.stored.get(pid) or self._cache.get(pid)
            if table is None or s.offset not in table:
                table = self._late_chunk(s.passage)
            rows.append(table.get(s.offset, np.zeros(self.embedder.dim, np.float32)))
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.embedder.dim), np.float32)

    def _late_chunk(self, passage: Passage) -> dict[int, np.ndarray]:
        """Sentence vectors of a passage not in the stored table (a definition, an index built before them)."""
        spans = sentence_spans(passage.text, passage.page_marks, passage.section_marks)
        text, shift = embed_text(passage.title, passage.section, passage.text)
        _, pooled = self.embedder.embed_spans([text], [[(a + shift, b + shift) for a, b in spans]])
        table = {a: v for (a, _b), v in zip(spans, pooled[0])}
        with self._lock:  # chat requests run in parallel threads
            self._cache[passage.id] = table
            while len(self._cache) > CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
        return table


def select(scored: list[tuple[float, Sentence]], max_sentences: int = 4, relative: float = 0.5,
           floor: float = 0.3, other_page: float = 0.0) -> list[tuple[float, Sentence]]:
    """The best sentence, then runners-up close to it in probability that add something new.

    A runner-up on the best sentence's page needs only `relative` of its probability; one from
    another page must also clear `floor` and `other_page` of it, since every extra page cited is
    a claim to check.
    """
    if not scored:
        return []
    best_p, best = scored[0]
    chosen: list[tuple[float, Sentence]] = [scored[0]]
    for p, s in scored[1:]:
        if len(chosen) >= max_sentences:
            break
        same_page = (s.passage.doc_id, s.page) == (best.passage.doc_id, best.page)
        if p < relative * best_p or (not same_page and (p < floor or p < other_page * best_p)):
            continue
        if any(token_overlap(s.text, c.text) > 0.6 for _, c in chosen):
            continue
        chosen.append((p, s))
    return chosen


def select_limits(asked: Asked, settings) -> tuple[int, float]:
    """Most sentences to quote and the same-page runner-up share: more for a list or a procedure."""
    if asked.steps:
        return settings.steps_answer_sentences, settings.steps_select_relative
    return settings.max_answer_sentences, settings.select_relative


def glossary_first(scored: list, floor: float) -> list:
    """A 'what is X' question leads with an instrument's own definition of X, where the glossary has one.

    The definition states what X is; sentences that only use the term ("shall demonstrate
    regulatory surplus", a change log's "Definition for 'Regulatory Surplus' has been added")
    can score higher on shared words.
    """
    i = next((k for k, (p, x) in enumerate(scored) if x.passage.id.startswith("def:") and p >= floor), None)
    return scored if not i else [scored[i]] + scored[:i] + scored[i + 1:]


def nearest(scored: list[tuple[float, Sentence]], n: int = 3) -> list[Citation]:
    """Citations for the nearest passages when abstaining: the best sentence of up to n passages."""
    out, seen = [], set()
    for sc, s in scored:
        if s.passage.id in seen:
            continue
        seen.add(s.passage.id)
        out.append(cite(len(out) + 1, s, sc))
        if len(out) >= n:
            break
    return out


def with_value_neighbour(sent: Sentence, asked: Asked, max_words: int = 90) -> Sentence:
    """Join the next (or previous) sentence on the same page when only it states the value asked for.

    "What are Vanuatu's targets…" often meets a sentence naming the target whose figure follows
    in the next sentence; quoting both keeps the answer verbatim and on one page.
    """
    if not asked.value or states_value(sent.text, asked):
        return sent
    sents = sentences(sent.passage)
    i = next((k for k, x in enumerate(sents) if x.offset == sent.offset), None)
    if i is None:
        return sent
    for j in (i + 1, i - 1):
        if not 0 <= j < len(sents):
            continue
        other = sents[j]
        if other.page != sent.page or not states_value(other.text, asked):
            continue
        if len(sent.text.split()) + len(other.text.split()) > max_words:
            continue
        first, last = (sent, other) if j > i else (other, sent)
        return span(first, last, sent.passage)
    return sent
