"""Features of one (question, candidate sentence) pair: does this sentence state what is asked?

Every feature is a plain number computed from the question analysis (`question.analyse`), the
sentence, its passage and the retrieval trace. The answerability model (`answerability.py`)
weighs them; the names here are the columns of its training table, so adding or reordering a
feature means retraining (`carbonqa eval train`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from assistant.answering.question import Asked, names_attribute, states_value
from assistant.answering.quotes import Sentence
from assistant.retrieval.text import tokenize, weighted_coverage

FEATURES = (
    "dense", "dense_gap", "lexical", "lexical_gap", "subject", "rare", "bigram", "context",
    "section", "rank", "dense_rank", "missing", "attr_asked", "attr_named", "value_needed", "value_found",
    "attr_value", "value_absent_q", "definition_q", "definitional", "glossary", "named_doc", "listing_q",
    "lead_in", "length", "heading_like", "cross_ref", "digits", "window", "window_value",
    "subject_value", "window_subject_value", "attr_subject", "dense_value",
    "dense_context", "subject_off_title", "glossary_off", "align_weakest", "polar_q",
)
# Question-level inputs of the answerability model, derived from the pair features of its candidates.
# Few on purpose: with ~200 dev questions a longer list fitted noise (cross-validated AUC fell).
# best_context (the closest candidate in context, from the vectors stored at ingest) raised dev
# cross-validated abstain recall from 0.43 to 0.49 at the same false-abstain rate (6 seeds of folds).
# The share of question terms no passage contains is left out: trained on dev it took a positive
# weight (more unknown words, more answerable), which says how the dev rows were written
# (paraphrased answerable ones, near misses in the documents' words), not how documents answer,
# and would lift off-corpus questions. Without it dev cross-validated AUC moved 0.823 -> 0.822.
#
# With 462 dev questions two more earned their place (cross-validated question AUC 0.823 -> 0.844,
# abstain recall 0.455 -> 0.503 at the same false-abstain rate, 9 shuffles of folds): whether the
# question asks for an attribute at all (a fee, a body, criteria…: the documents often discuss the topic
# and not the attribute), and the mean logit of the three best sentences (an answer is usually stated
# more than once, a near miss rests on one lucky sentence).
#
# With 680 dev questions, the best of the three best sentences' weakest word-piece match (align.py) earned
# a place: a near miss leaves one piece of the question unmatched by every good sentence. Cross-validated
# question AUC 0.790 -> 0.807, abstain recall 0.407 -> 0.421 at false abstain 0.040.
# And whether the question asks yes or no: such a question asks for no attribute, which the model
# otherwise reads as a sign of an answerable question (cross-validated AUC 0.807 -> 0.823, abstain recall
# 0.446 -> 0.440 at false abstain 0.040).
Q_FEATURES = ("best_logit", "value_needed", "best_subject_value", "best_context", "attr_asked", "top3_logit",
              "top3_align_weakest", "polar")
_DEFINITIONAL = re.compile(r"\b(means|refers? to|(is |are )?defined as|denotes?|stands? for|is understood as|"
                           r"shall mean|is the|are the|is a|is an)\b", re.I)
_CROSS_REF = re.compile(r"\b(see (section|annex|chapter|the)|in accordance with|as set out in|refer to|"
                        r"set out in (section|annex))\b", re.I)
_DIGIT = re.compile(r"\d")


@dataclass
class Candidate:
    """One sentence that might answer the question, with where it was found."""

    sentence: Sentence
    rank: int  # rank of its passage in the retrieved list (0 = best)
    dense: float = 0.0  # cosine of question and sentence embeddings
    dense_rank: int = 0
    dense_context: float = 0.0  # cosine of the question and the sentence's in-context vector (stored at ingest)
    window: str = ""  # the sentence with its neighbours in the passage: answers often sit next to the topic
    align_weakest: float = 0.0  # how well the sentence matches the question piece it matches worst (align.py)


def _off_title(subject: dict[str, float], toks: set[str], title_toks: set[str]) -> float:
    """Subject coverage without the words of the sentence's own document title.

    Every sentence of the JCM note is "about the JCM": for "Who approves methodologies under the
    JCM?" only "approves" and "methodologies" can show that a sentence answers.
    """
    off = {t: w for t, w in subject.items() if t not in title_toks}
    return weighted_coverage(off, toks) if off else 0.0


def _heading_like(text: str) -> float:
    """Share of capitalised words: titles and table headers score high, prose low."""
    words = [w for w in text.split() if w[:1].isalpha()]
    return sum(w[0].isupper() for w in words) / len(words) if words else 0.0


def pair_features(asked: Asked, cands: list[Candidate], idf: dict[str, float], missing: float,
                  named_docs: set[str]) -> np.ndarray:
    """The feature matrix (one row per candidate, columns = FEATURES)."""
    top = max(idf.values(), default=1.0)
    weights = {t: idf.get(t, top) for t in asked.terms}
    subject = {t: idf.get(t, top) for t in asked.subject}
    rarest = max(weights.values(), default=1.0)
    sent_toks = [set(tokenize(c.sentence.text)) for c in cands]
    lexical = [weighted_coverage(weights, st) for st in sent_toks]
    best_lex = max(lexical, default=0.0)
    best_dense = max((c.dense for c in cands), default=0.0)
    rows = []
    contexts: dict[str, set[str]] = {}  # several candidates share a passage: tokenise it once
    titles: dict[str, set[str]] = {}
    value_anywhere = any(states_value(c.sentence.text, asked) for c in cands) if asked.value else True
    for c, toks, lex in zip(cands, sent_toks, lexical):
        s, p = c.sentence, c.sentence.passage
        text = s.text
        ctx = contexts.get(p.id)
        if ctx is None:
            ctx = contexts[p.id] = set(tokenize(f"{p.title} {p.section} {p.text}"))
        sec = set(tokenize(f"{s.section} {p.title}"))
        found = [w for t, w in weights.items() if t in toks]
        stoks = tokenize(text)
        bigrams = set(zip(stoks, stoks[1:]))
        value_found = states_value(text, asked)
        attr_named = names_attribute(text, asked)
        subj = weighted_coverage(subject, toks)
        window = weighted_coverage(weights, set(tokenize(c.window or text)))
        window_value = float(states_value(c.window or text, asked))
        rows.append([
            c.dense, c.dense - best_dense, lex, lex - best_lex, subj,
            max(found, default=0.0) / rarest if rarest else 0.0,
            len(asked.bigrams & bigrams) / len(asked.bigrams) if asked.bigrams else 0.0,
            weighted_coverage(weights, ctx), weighted_coverage(weights, sec),
            1.0 / (1 + c.rank), 1.0 / (1 + c.dense_rank), missing,
            float(bool(asked.attribute)), float(attr_named), float(bool(asked.value)), float(value_found),
            float(attr_named and value_found), float(bool(asked.value) and not value_anywhere),
            float(asked.definition), float(bool(_DEFINITIONAL.search(text))), float(p.id.startswith("def:")),
            float(p.doc_id in named_docs), float(asked.listing), float(text.rstrip().endswith(":")),
            math.log1p(len(text.split())), _heading_like(text), float(bool(_CROSS_REF.search(text))),
            float(bool(_DIGIT.search(text))),
            window, window_value,
            subj * value_found, window * window_value, subj * attr_named, c.dense * value_found,
            c.dense_context, _off_title(subject, toks, titles.setdefault(p.title, set(tokenize(p.title)))),
            float(p.id.startswith("def:") and not asked.definition), c.align_weakest, float(asked.polar),
        ])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


def question_features(X: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The question-level vector (Q_FEATURES) from a question's pair features and sentence logits."""
    if X.shape[0] == 0:
        return np.array([-10.0, 0.0, 0.0, 0.0, 0.0, -10.0, 0.0, 0.0])
    col = {f: i for i, f in enumerate(FEATURES)}
    order = np.argsort(-logits, kind="stable")
    best = logits[order]
    return np.array([float(best[0]), X[0, col["value_needed"]], X[:, col["subject_value"]].max(),
                     X[:, col["dense_context"]].max(), X[0, col["attr_asked"]], float(np.mean(best[:3])),
                     float(X[order[:3], col["align_weakest"]].max()), X[0, col["polar_q"]]])


def lacks_value(X: np.ndarray, logits: np.ndarray, k: int) -> bool:
    """True when the question needs a value (an amount, a date…) and none of its k best sentences states one.

    "What is the registration fee?" met by sentences that name the fee but give no amount is the
    commonest near miss: the documents discuss the topic but do not say what is asked.
    """
    if k <= 0 or X.shape[0] == 0:
        return False
    col = {f: i for i, f in enumerate(FEATURES)}
    if X[0, col["value_needed"]] != 1.0:
        return False
    top = np.argsort(-logits)[:k]
    return not bool((X[top, col["value_found"]] > 0).any())
