"""Assistant helpers that need no index: in-force filtering, definition terms, answer types."""
from __future__ import annotations

import datetime as dt

from assistant.answer import Assistant, answer_type, definition_term
from assistant.retrieval import Filters
from ingest.manifest import DocumentEntry


def _entry(doc_id: str, date: str, supersedes=()) -> DocumentEntry:
    """A minimal manifest entry."""
    return DocumentEntry(id=doc_id, title=doc_id, issuer="x", category="ndc", jurisdictions=["Japan"],
                         date=date, supersedes=list(supersedes))


class _Search:
    """Just enough of HybridSearch for in_force_filter."""

    def __init__(self, docs):
        self.docs = docs

    def documents(self):
        """Ingested documents."""
        return {d: {"sha256": "x"} for d in self.docs}

    def resolve(self, filters):
        """No filter narrowing in this stub."""
        return None if filters is None else list(self.docs)


def _assistant(docs, entries) -> Assistant:
    """An Assistant without an index."""
    a = Assistant.__new__(Assistant)
    a.search, a.entries = _Search(docs), entries
    return a


def test_superseded_version_is_left_out_by_default_and_named_version_kept():
    """Answers come from the version in force; --doc naming the old one still works."""
    entries = [_entry("ndc-2021", "2021-10-22"), _entry("ndc-2025", "2025-02-18", ["ndc-2021"])]
    a = _assistant(["ndc-2021", "ndc-2025"], entries)
    assert a.in_force_filter(None, None).doc_ids == ["ndc-2025"]
    assert a.in_force_filter(None, dt.date(2023, 1, 1)).doc_ids == ["ndc-2021"]
    named = Filters(doc_ids=["ndc-2021"])
    assert a.in_force_filter(named, None) is named


def test_no_supersession_means_no_filter():
    """Without versions in play, retrieval is not narrowed."""
    a = _assistant(["a"], [_entry("a", "2020-01-01")])
    assert a.in_force_filter(None, None) is None


def test_definition_term_extraction():
    """'What is X' and 'how does Y define X' find X; rule questions do not."""
    assert definition_term("What is a VVB?") == "VVB"
    assert definition_term("How does the CDM glossary define validation compared with Verra?") == "validation"
    assert definition_term("What is the definition of forest in the CDM glossary?") == "forest"
    assert definition_term("What is the crediting period for ARR projects?") == ""


def test_answer_type():
    """Amount and date questions need a number or a date in the answer."""
    assert answer_type("What fee does Verra charge per VCU?") == "number"
    assert answer_type("When was the MoC signed?") == "date"
    assert answer_type("Who designates a DOE?") == ""


def test_list_lead_in_takes_its_items_verbatim():
    """A sentence ending in ':' is quoted with the items that follow it on the same page."""
    from assistant.models import Passage
    from assistant.quotes import extend_lead_in, sentences

    text = ("Projects shall submit the following documents:\n(a) the project description;\n"
            "(b) the validation report.\nOther text follows here on the page.")
    p = Passage(id="p", doc_id="d", title="t", text=text, page_start=3, page_end=3, page_label="",
                section="", score=1.0, page_marks="[[0, 3, \"\"]]")
    lead = sentences(p)[0]
    assert lead.text.endswith(":")
    got = extend_lead_in(lead)
    assert got.text.startswith("Projects shall submit") and "(b) the validation report." in got.text
    assert "Other text" not in got.text
    assert got.text in " ".join(text.split())  # still verbatim
    assert got.page == 3
