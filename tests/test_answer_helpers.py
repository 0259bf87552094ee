"""Assistant helpers that need no index: in-force filtering and definition terms."""
from __future__ import annotations

import datetime as dt

from assistant.answering.answer import Assistant
from assistant.answering.glossary import definition_term
from assistant.retrieval.hybrid import Filters
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
    # Users ask what a term "means under" a programme, what "counts as" one, whether two "define it the same way".
    assert definition_term("What does regulatory surplus mean under the VCS Program?") == "regulatory surplus"
    assert definition_term("Who counts as a smallholder under Gold Standard's land-use rules?") == "smallholder"
    assert definition_term("Do Verra and the CDM define leakage the same way?") == "leakage"
    assert definition_term("What is meant by additionality in the CDM?") == "additionality"
