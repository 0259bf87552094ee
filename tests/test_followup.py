"""Follow-up questions become standalone queries before retrieval (assistant/retrieval/followup.py)."""
from __future__ import annotations

import pytest

from assistant.retrieval.followup import key_terms, looks_like_followup, rewrite_followup

FAMILIES = {"verra": ["verra", "vcs"], "gold-standard": ["gold standard"], "cdm": ["cdm"]}


@pytest.mark.parametrize("question, expected", [
    ("And for A/R projects?", True),
    ("What about Gold Standard?", True),
    ("Is it renewable?", True),  # short
    ("How long does that period last under the rules?", True),  # pronoun in a short question
    ("What is the crediting period for renewable energy projects under the Verra VCS Standard?", False),
    # a demonstrative points back even in a longer question; a long one without it stands alone
    ("Which of those steps is optional, and what is assumed if it is skipped?", True),
    ("Which step of the CDM additionality tool is optional, and what is assumed if it is skipped?", False),
])
def test_looks_like_followup(question, expected):
    assert looks_like_followup(question) is expected


def test_no_history_or_standalone_question_is_unchanged():
    q = "What is the crediting period for renewable energy projects under the Verra VCS Standard?"
    assert rewrite_followup("And for A/R?", [], FAMILIES) == "And for A/R?"
    assert rewrite_followup(q, ["What is additionality?"], FAMILIES) == q


def test_followup_carries_the_previous_key_terms():
    out = rewrite_followup("And for A/R projects?", ["How long is the crediting period under Verra?"], FAMILIES)
    assert out.startswith("for A/R projects") and out.endswith("?")
    for term in ("long", "crediting", "period", "Verra"):
        assert term in out
    assert " And " not in f" {out} ", "the follow-up lead-in is dropped"


def test_naming_another_family_drops_the_old_one():
    out = rewrite_followup("What about Gold Standard?", ["How long is the Verra crediting period?"], FAMILIES)
    assert "Gold Standard" in out and "crediting" in out and "period" in out
    assert "Verra" not in out, "retrieval must move over to the newly named standard"


def test_only_the_latest_question_is_used():
    out = rewrite_followup("And the fees?", ["What is a DOE?", "How is a VVB accredited?"], FAMILIES)
    assert "VVB" in out and "DOE" not in out


def test_key_terms_skip_stop_words_and_dropped_names():
    assert key_terms("What is the role of the VVB in Verra?", {"verra"}) == ["role", "VVB"]


def test_a_follow_up_of_a_follow_up_keeps_the_topic_of_the_first():
    """The previous turn is read as it was searched when it leaned back itself; otherwise as it stands."""
    history = ["How long is the crediting period under Gold Standard?", "and under verra?"]
    out = rewrite_followup("what about for AFOLU projects", history, FAMILIES)
    assert "crediting" in out and "period" in out and "verra" in out and "Gold" not in out
    out = rewrite_followup("can they be rotated?", ["What is a VVB?", "who approves them?"], FAMILIES)
    assert "VVB" in out


def test_a_full_question_after_and_that_names_a_new_subject_stands_alone():
    """"And what is India's …?" after a question on Japan asks of its own; carrying "Japan" searched the wrong country."""
    q = "And what is India's 2030 emissions intensity target?"
    assert rewrite_followup(q, ["What is Japan's 2040 NDC target?"], FAMILIES) == q
    # it still leans back when it points back, is elliptic, or only narrows by an acronym
    out = rewrite_followup("And what were the corresponding targets in the 2015 NDC?",
                           ["What are the targets of India's 2022 NDC update?"], FAMILIES)
    assert "India's" in out
    out = rewrite_followup("And how long is the crediting period for AFOLU projects?",
                           ["How long is the crediting period under Gold Standard?"], FAMILIES)
    assert "Gold Standard" in out
    assert "NDC" in rewrite_followup("And India's?", ["What is Japan's 2040 NDC target?"], FAMILIES)
