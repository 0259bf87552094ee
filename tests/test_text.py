"""Tokens for BM25 and the acronym table that expands queries (assistant/retrieval/text.py)."""
from __future__ import annotations

import pytest

from assistant.retrieval.text import (
    content_words, expand_query, front_matter, learn_acronyms, token_containment, token_overlap, tokenize,
)


@pytest.mark.parametrize("text, expected", [
    ("The Adjustments of the Registries", ["adjustment", "registry"]),
    ("clause 3.11.2 of ISO 14064-2", ["clause", "3.11.2", "iso", "14064-2"]),
    ("host-country letter", ["host-country", "host", "country", "letter"]),
    ("A/R projects and A/R-CDM", ["a/r", "r", "project", "a/r-cdm", "r", "cdm"]),  # parts too, minus stop words
    ("process status basis class", ["process", "status", "basis", "class"]),
    ("Tell me, please: what does the corpus say?", []),
    # "How many partner countries…" meets "JCM partnerships with 31 countries"; a short "hardship" stays whole
    ("JCM partnerships, partner, membership, hardship", ["jcm", "partner", "partner", "member", "hardship"]),
])
def test_tokenize(text, expected):
    assert tokenize(text) == expected


def test_content_words_are_distinct_and_meaningful():
    assert content_words("Fees and fees: the fee of a VVB, 2 x") == ["fee", "vvb", "2"]


CORPUS = [
    "A validation and verification body (VVB) checks the report. The VVB is accredited.",
    "Each Designated Operational Entity (DOE) is accredited by the Executive Board (EB).",
    "Internationally Transferred Mitigation Outcomes (ITMOs) are authorised by the host Party.",
    "Again, a validation/verification body (VVB) may be rotated. Nationally Determined Contribution (NDC).",
    "Blah (OK) and (X) and lower case (abc) are not acronyms.",
    "nuclear power (including Small Modular Reactors SMR 53). Talks were carried out prior to COP 28.",
]


def test_learn_acronyms_from_long_form_patterns():
    acr = learn_acronyms(CORPUS)
    assert acr["VVB"] == "validation and verification body"
    assert acr["DOE"] == "Designated Operational Entity" and acr["EB"] == "Executive Board"
    assert acr["ITMO"] == "Internationally Transferred Mitigation Outcomes", "a plural acronym is learnt singular"
    assert acr["NDC"] == "Nationally Determined Contribution"
    assert not {"OK", "X", "abc"} & set(acr)
    # brackets pypdf lost: only a long form in capitals counts
    assert acr["SMR"] == "Small Modular Reactors" and "COP" not in acr


def test_a_singular_long_form_finds_its_acronym():
    acr = {"SMR": "Small Modular Reactors"}
    assert expand_query("What is a small modular reactor?", acr).endswith("(SMR)")
    assert expand_query("Are small modular reactorx planned?", acr) == "Are small modular reactorx planned?"


def test_expand_query_both_ways():
    acr = {"VVB": "validation and verification body", "DOE": "Designated Operational Entity"}
    assert expand_query("Who accredits a VVB?", acr) == "Who accredits a VVB? (validation and verification body)"
    assert expand_query("Who appoints a designated operational entity?", acr).endswith("(DOE)")
    assert expand_query("How many VVBs?", acr).endswith("(validation and verification body)")
    assert expand_query("What is a VVB (validation and verification body)?", acr) == \
        "What is a VVB (validation and verification body)?", "nothing is added twice"
    assert expand_query("unrelated question", acr) == "unrelated question"


def test_token_overlap_and_containment():
    a, b = "The buffer pool holds credits.", "Credits are held in the buffer pool."
    assert token_overlap(a, a) == 1.0 and token_overlap(a, "nothing alike") == 0.0
    assert token_overlap(a, b) == token_overlap(b, a) and 0 < token_overlap(a, b) < 1
    assert token_containment("buffer pool", b) == 1.0 and token_containment(b, "buffer pool") < 1.0


@pytest.mark.parametrize("text, expected", [
    ("CLEAN DEVELOPMENT MECHANISM\nMethodological tool\nTool for the demonstration and assessment\nof additionality", True),
    ("Planned Emissions Reductions (PERs)........................15\nBundled PERs ..........16\nLabels ..........17", True),
    ("The crediting period shall be 10 years.", False),
    # A short fragment of prose without a full stop is content, not a cover.
    ("1.1.6 When the Project Developer is uncertain about the interpretation of\nthe rules in the context", False),
])
def test_front_matter(text, expected):
    """Covers (short title lines, no sentence) and contents listings (dot leaders) are front matter."""
    assert front_matter(text) is expected
