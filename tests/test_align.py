"""Word-piece alignment of a question and a sentence: which pieces count, and what the two numbers mean."""
from __future__ import annotations

import numpy as np

from assistant.answering.align import Aligner, alignment, content_pieces
from ingest.embed import OnnxEmbedder


def test_content_pieces_drop_stopwords_and_punctuation_but_keep_word_continuations():
    """'what', 'is' and '?' carry no content; both pieces of 'additionality' do."""
    pieces = ["what", "is", "additional", "##ity", "of", "the", "ve", "##ra", "fee", "?"]
    assert content_pieces(pieces) == [2, 3, 6, 7, 8]
    assert content_pieces(["the", "##s", "?"]) == []


def test_recall_reads_the_question_side_and_precision_the_sentence_side():
    """A sentence holding every question piece has full recall; extra sentence pieces lower only precision.

    The weakest match is the question piece the sentence matches worst: 0 when one is missing.
    """
    e = np.eye(4, dtype=np.float32)
    question = (["fee", "amount"], e[[0, 1]])
    longer = (["fee", "amount", "registry", "annex"], e[[0, 1, 2, 3]])
    recall, precision, weakest = alignment(question, longer)
    assert recall == 1.0 and precision == 0.5 and weakest == 1.0
    half = (["fee", "annex"], e[[0, 3]])
    assert alignment(question, half) == (0.5, 0.5, 0.0)
    assert alignment(question, ([], np.zeros((0, 4), np.float32))) == (0.0, 0.0, 0.0)


def test_a_sentence_that_states_the_answer_aligns_better_than_one_on_another_topic():
    """With the real model: 'signatory … signing authority' meets 'who has to sign'; a fee sentence does not."""
    aligner = Aligner(OnnxEmbedder())
    states = aligner.score("Who has to sign the annual report?", [
        "The signatory shall be an individual with legal signing authority.",
        "The registration fee shall be paid before the review starts.",
    ])
    (r_sign, p_sign, w_sign), (r_fee, p_fee, w_fee) = states
    assert r_sign > r_fee and p_sign > p_fee and w_sign > w_fee


def test_the_aligner_encodes_each_text_once(monkeypatch):
    """A sentence met again (the same page for the next question) is a cache hit."""
    emb = OnnxEmbedder()
    aligner = Aligner(emb)
    seen: list[str] = []
    real = emb.token_states
    monkeypatch.setattr(emb, "token_states", lambda texts: (seen.extend(texts), real(texts))[1])
    first = aligner.score("What is the fee?", ["The fee is USD 500.", "Fees are listed in Annex 2."])
    again = aligner.score("What is the fee?", ["The fee is USD 500."])
    assert seen == ["What is the fee?", "The fee is USD 500.", "Fees are listed in Annex 2."]
    assert again[0] == first[0]
