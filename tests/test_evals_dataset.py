"""Question-set validation catches each kind of problem (fake corpus; one CLI run on a tiny real one).

Gold quotes are checked against pypdf's raw page text (line breaks and all, as below), never
against our cleaned text; only whitespace and line-break hyphens are normalised.
"""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from evals.dataset import CorpusPages, DatasetError, load_questions, quote_on_page, read_rows, validate_rows

# Raw page 2 has a broken word ("issu-/ance"), a broken compound ("project-/level") and a running
# header in mid-sentence, which our cleaning removes.
RAW = ("The registry charges a levy of ten per cent on every issu-\nance of credits to the account\n"
       "Registry Rules v1 | Page 2\nholder. Each project-\nlevel account pays it once a year.")
CLEAN = ("The registry charges a levy of ten per cent on every issuance of credits to the account "
         "holder. Each project-level account pays it once a year.")
CORPUS = CorpusPages(pages={
    "doc-a": [("Title page of doc a", "Title page of doc a"), (RAW, CLEAN)],
    "doc-b": [("Projects shall complete validation within eight years of the project start date.",) * 2],
})


def row(**kw) -> dict:
    """A valid answerable row, with overrides."""
    base = {
        "id": "q001", "question": "What levy does the registry charge?", "type": "number",
        "answer": "A levy of ten per cent on every issuance.", "key_facts": ["ten per cent"],
        "evidence": [{"doc": "doc-a", "page": 2, "quote": "charges a levy of ten per cent on every issuance"}],
        "tags": ["doc-a"],
    }
    base.update(kw)
    return base


def problems(*rows, reference=None):
    """Validation messages for the given rows."""
    return [str(p) for p in validate_rows(list(enumerate(rows, 1)), CORPUS, reference)]


def test_valid_row_passes_with_a_word_broken_at_a_line_hyphen():
    # the default quote reads "issuance" where the raw page has "issu-\nance"
    assert problems(row()) == []


def test_compound_broken_at_a_line_hyphen_is_accepted_either_way():
    for quote in ("Each project-level account pays it once a year", "Each projectlevel account pays it once"):
        assert problems(row(evidence=[{"doc": "doc-a", "page": 2, "quote": quote}])) == []


def test_quote_only_in_cleaned_text_is_rejected():
    r = row(evidence=[{"doc": "doc-a", "page": 2, "quote": "of credits to the account holder. Each"}])
    found = problems(r)
    assert len(found) == 1, found
    assert "not verbatim in pypdf's raw text of doc-a p.2" in found[0]
    assert "only in our cleaned text" in found[0]


def test_key_fact_only_in_cleaned_text_is_rejected():
    r = row(key_facts=["account holder. Each"], answer="Ten per cent; the account holder. Each year.")
    assert any("'account holder. Each' not on any evidence page" in p for p in problems(r))


def test_quote_in_another_document_is_located():
    r = row(evidence=[{"doc": "doc-a", "page": 2, "quote": "complete validation within eight years of the"}])
    assert any("found on doc-b p.1" in p for p in problems(r))


def test_runner_citation_check_still_accepts_cleaned_text():
    # the runner scores the assistant's citations, which quote our cleaned text
    assert quote_on_page("of credits to the account holder.", CORPUS.page("doc-a", 2))


@pytest.mark.parametrize("qid", ["h001", "x1", "new-a/7", "q001"])
def test_any_non_empty_string_id_is_accepted(qid):
    assert problems(row(id=qid)) == []


def test_duplicate_non_q_ids_are_rejected():
    found = problems(row(id="h001"), row(id="h001"))
    assert found == ["line 2 h001 id: duplicate id (first on line 1)"]


def test_quote_on_raw_text_only_is_accepted():
    r = row(evidence=[{"doc": "doc-a", "page": 2, "quote": "The registry charges a levy of ten per cent"}])
    assert problems(r) == []


@pytest.mark.parametrize("override, expect", [
    ({"id": ""}, "id: expected a non-empty string id"),
    ({"id": "   "}, "id: expected a non-empty string id"),
    ({"id": 7}, "id: expected a non-empty string id, got 7"),
    ({"id": " h001"}, "id: id has leading or trailing whitespace"),
    ({"type": "opinion"}, "type: 'opinion' is not one of"),
    ({"question": ""}, "question: missing or empty"),
    ({"key_facts": "ten"}, "key_facts: expected a list"),
    ({"history": []}, "history: expected a non-empty list"),
    ({"evidence": [{"doc": "doc-a", "page": "2", "quote": "x"}]}, "evidence[0].page: expected an integer"),
    ({"extra": 1}, "unknown field(s): extra"),
    ({"evidence": [{"doc": "doc-z", "page": 1, "quote": "charges a levy of ten per cent"}]}, "unknown document id 'doc-z'"),
    ({"evidence": [{"doc": "doc-a", "page": 9, "quote": "charges a levy of ten per cent"}]}, "page 9 out of range 1..2"),
    ({"evidence": [{"doc": "doc-a", "page": 1, "quote": "charges a levy of ten per cent"}]}, "found on page 2"),
    ({"evidence": [{"doc": "doc-a", "page": 2, "quote": "charges a levy of nine per cent on"}]}, "not verbatim in pypdf's raw text of doc-a p.2"),
    ({"evidence": [{"doc": "doc-a", "page": 2, "quote": "levy of ten"}]}, "3 words; quotes should be 6-30"),
    ({"evidence": [{"doc": "doc-a", "page": 2, "quote": "on every issu- ance of credits to"}]}, "hyphenated line break"),
    ({"key_facts": ["twelve per cent"], "answer": "twelve per cent"}, "'twelve per cent' not on any evidence page"),
    ({"answer": "A levy on issuance."}, "'ten per cent' not in the gold answer"),
    ({"evidence": [], "key_facts": []}, "answerable rows need at least one evidence"),
    ({"type": "comparison"}, "a comparison must cite at least two documents"),
    ({"history": ["What does the registry do?"]}, "should carry the 'follow-up' tag"),
])
def test_each_problem_is_reported(override, expect):
    found = problems(row(**override))
    assert any(expect in p for p in found), found


def test_unanswerable_rows_must_be_empty():
    found = problems(row(type="unanswerable"))
    assert any("unanswerable rows must have empty evidence" in p for p in found)
    assert any("unanswerable rows must have empty key_facts" in p for p in found)
    assert problems(row(type="unanswerable", evidence=[], key_facts=[], answer="The corpus does not say.")) == []


def test_duplicate_ids_and_every_problem_listed():
    found = problems(row(), row(type="opinion"))
    assert any("duplicate id (first on line 1)" in p for p in found)
    assert any("type:" in p for p in found)
    assert all(p.startswith("line ") for p in found)


def test_reference_file_must_hold_the_row():
    ref = [(1, row())]
    assert problems(row(), reference=ref) == []
    assert any("differs from" in p for p in problems(row(answer="A levy of ten per cent, always."), reference=ref))


def test_load_questions_rejects_bad_json_and_schema(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text(json.dumps(row()) + "\n{not json\n")
    with pytest.raises(DatasetError, match=":2: not valid JSON"):
        read_rows(f)
    f.write_text(json.dumps(row(type="bad")) + "\n")
    with pytest.raises(DatasetError, match="schema problem"):
        load_questions(f)
    f.write_text(json.dumps(row(history=["Earlier?"], tags=["follow-up"])) + "\n")
    q = load_questions(f)[0]
    assert q.history == ("Earlier?",) and q.gold_pages == {("doc-a", 2)} and q.answerable


def test_cli_validate_exit_codes(tmp_path, monkeypatch):
    from assistant.cli import app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(CLEAN + "\n")
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - id: note\n    title: Note\n    issuer: Us\n    category: report\n"
        "    jurisdictions: [x]\n    file: note.txt\n"
    )
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("CARBONQA_DATA_DIR", str(tmp_path / "data"))
    good = row(evidence=[{"doc": "note", "page": 1, "quote": "charges a levy of ten per cent on every issuance"}])
    f = tmp_path / "q.jsonl"
    f.write_text(json.dumps(good) + "\n")
    res = CliRunner().invoke(app, ["eval", "validate", str(f)])
    assert res.exit_code == 0, res.output
    assert "0 problem(s)" in res.output
    bad = dict(good, evidence=[{"doc": "note", "page": 3, "quote": good["evidence"][0]["quote"]}])
    f.write_text(json.dumps(good) + "\n" + json.dumps(dict(bad, id="q002")) + "\n")
    res = CliRunner().invoke(app, ["eval", "validate", str(f)])
    assert res.exit_code == 1
    assert "page 3 out of range 1..1" in res.output


def test_gold_quotes_are_held_to_pypdf_text_not_the_index_extractor(tmp_path, monkeypatch):
    """The index reads PDFium; a gold quote must stand in pypdf's own raw text (the issue's rule)."""
    import ingest.pdf
    from helpers_pdf import make_pdf
    from ingest.settings import get_settings

    corpus = tmp_path / "corpus"
    make_pdf(corpus / "rules.pdf", [["India submitted its Third National Communication (TNC) in December 2023."]])
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - id: rules\n    title: Rules\n    issuer: Us\n    category: report\n"
        "    jurisdictions: [x]\n    file: rules.pdf\n"
    )
    # PDFium glues a footnote mark that pypdf reads apart: the index's text is not the gold text
    monkeypatch.setattr(ingest.pdf, "extract_raw",
                        lambda path: (["India submitted its Third National Communication (TNC),16 in 2023."], [""]))
    pages = CorpusPages(get_settings(corpus_dir=corpus, data_dir=tmp_path / "data"))
    raw, cleaned, _ = pages.page("rules", 1)
    assert "(TNC) in December 2023" in raw and "(TNC),16" not in raw
    assert "(TNC),16" in cleaned
