"""The weakest word-piece match of a question in a sentence: which pieces count, and what the number means."""
from __future__ import annotations

import numpy as np

import pytest

from assistant.answering.align import Aligner, content_pieces, weakest_match
from ingest.errors import CarbonQAError


def test_content_pieces_drop_stopwords_and_punctuation_but_keep_word_continuations():
    """'what', 'is' and '?' carry no content; both pieces of 'additionality' do."""
    pieces = ["what", "is", "additional", "##ity", "of", "the", "ve", "##ra", "fee", "?"]
    assert content_pieces(pieces) == [2, 3, 6, 7, 8]
    assert content_pieces(["the", "##s", "?"]) == []


def test_the_weakest_match_is_the_question_piece_the_sentence_matches_worst():
    """Every content piece found: 1; one missing: its best cosine elsewhere; question stopwords never count."""
    e = np.eye(4, dtype=np.float32)
    question = (["what", "fee", "amount"], e[[2, 0, 1]])
    assert weakest_match(question, (["fee", "amount", "annex"], e[[0, 1, 3]])) == 1.0  # 'what' is not content
    near = np.array([[0.0, 0.6, 0.8, 0.0]], np.float32)  # a piece at cosine 0.6 to 'amount'
    assert weakest_match(question, (["fee", "sum"], np.vstack([e[0], near]))) == pytest.approx(0.6)
    assert weakest_match(question, (["fee"], e[[0]])) == 0.0
    assert weakest_match(question, ([], np.zeros((0, 4), np.float32))) == 0.0


def test_a_sentence_that_states_the_answer_aligns_better_than_one_on_another_topic():
    """With the model's own pieces, a sentence on the renewal fee matches 'renewal fee' fully; one on another fee does not."""
    on_topic, near_miss = Aligner().weakest("What is the renewal fee for a project?", [
        "The renewal fee for each project is USD 1,000.",
        "The registration fee for each project is USD 1,000.",
    ])
    assert on_topic > 0.99 and near_miss < 0.9


def test_states_are_the_models_word_pieces_at_unit_length():
    """The tokenizer's pieces, lower-cased, without [CLS]/[SEP]; one unit row per piece."""
    (pieces, rows), (none, empty) = Aligner().states(["What is Additionality?", ""])
    assert pieces == ["what", "is", "additional", "##ity", "?"]
    assert rows.shape == (5, 384) and np.allclose(np.linalg.norm(rows.astype(np.float32), axis=1), 1.0, atol=1e-3)
    assert none == [] and empty.shape == (0, 384)


def test_a_model_folder_without_its_weights_is_named_in_the_error(tmp_path):
    """A local model folder that lacks model.safetensors fails with the file's path, not a KeyError."""
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(CarbonQAError, match="model.safetensors is missing"):
        Aligner(str(tmp_path)).weakest("What is the fee?", ["The fee is USD 500."])
