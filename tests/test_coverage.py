"""A question about an instrument the manifest lists but the index lacks says so, and what to fetch."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.coverage import not_indexed_note, unindexed_named
from ingest.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def entries():
    """The project's own manifest: bundled documents and the official ones not fetched here."""
    return load_manifest(REPO / "corpus" / "manifest.yaml")


@pytest.fixture(scope="module")
def indexed(entries):
    """What an index built from the bundled files holds."""
    return {e.id for e in entries if e.bundled}


def _ids(question: str, entries, indexed) -> list[str]:
    """Ids of the listed, unindexed documents the question names."""
    return [e.id for e in unindexed_named(question, entries, indexed)]


def test_a_jcm_question_names_the_jcm_rules_and_the_moc(entries, indexed):
    """'the JCM' is the rules, the project cycle procedure and the MoC, none of them bundled."""
    ids = _ids("Who approves methodologies under the JCM?", entries, indexed)
    assert ids and all(i.startswith("jcm-") for i in ids) and "jcm-india-japan-moc-2025" in ids


def test_an_indexed_document_is_never_reported_missing(entries, indexed):
    """Once fetched and ingested, the JCM rules are searched like any other document."""
    assert _ids("Who approves methodologies under the JCM?", entries, indexed | {
        e.id for e in entries if e.id.startswith("jcm-")}) == []


def test_an_ndc_is_named_only_with_its_country(entries, indexed):
    """'India's NDC' is India's; 'NDCs' alone, or the CDM's 'MoC statement', name nothing missing."""
    assert _ids("What does India's NDC commit to by 2030?", entries, indexed) == ["india-updated-ndc-2022"]
    assert _ids("What share of NDCs mention Article 6?", entries, indexed) == []
    assert _ids("What must the MoC statement of a CDM project contain?", entries, indexed) == []


def test_a_decision_is_named_by_its_code_and_the_paris_agreement_by_its_own_name(entries, indexed):
    """'of the Paris Agreement' in a decision's title does not make every Paris Agreement question about it."""
    assert _ids("What does the Paris Agreement say about loss and damage?", entries, indexed) == ["paris-agreement-2015"]
    assert "decision-2-cma-3-2021" in _ids("What does decision 2/CMA.3 require for first transfers?", entries, indexed)


def test_the_note_names_the_titles_and_the_way_to_fetch(entries, indexed):
    """The note is for a user: titles, then the commands."""
    missing = unindexed_named("What penalty applies under the CCTS?", entries, indexed)
    note = not_indexed_note(missing)
    assert "Carbon Credit Trading Scheme" in note and "carbonqa corpus fetch" in note


@pytest.mark.slow
def test_the_answer_says_which_named_documents_were_not_searched(indexed_settings):
    """Abstaining, the text says it; answering, a warning does; a question about indexed documents has neither."""
    from assistant.answering.answer import Assistant

    a = Assistant(indexed_settings)
    for question in ("How many tonnes of JCM credits will Japan buy from India by 2030?",
                     "How many countries has Japan signed JCM partnerships with?"):
        ans = a.ask(question)
        said = ans.answer if ans.abstained else " ".join(ans.warnings)
        assert "Not searched" in said and "Joint Crediting Mechanism Rules of Implementation" in said
    plain = a.ask("What is the minimum crediting period under the VCS for ARR projects?")
    assert "Not searched" not in plain.answer + " ".join(plain.warnings)


@pytest.mark.slow
def test_a_rule_asked_of_an_unindexed_rulebook_needs_a_confident_answer(indexed_settings):
    """Between the calibrated threshold and the confident bar, a question naming the unindexed JCM rules declines."""
    from dataclasses import replace

    from assistant.answering.answer import Assistant

    a = Assistant(indexed_settings)
    turn = a.retrieve_and_score(a.prepare("Who approves methodologies under the JCM?"))
    assert turn.evidence.unindexed
    between = (a.threshold() + indexed_settings.low_confidence) / 2
    turn.evidence = replace(turn.evidence, support=between, lacks_value=False)
    ans = a.respond(turn)
    assert ans.abstained and "Not searched" in ans.answer
    turn.evidence = replace(turn.evidence, unindexed=[])
    assert not a.respond(turn).abstained, "without the unindexed rulebook the same support answers"
