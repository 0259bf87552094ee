"""Versions in force on a date: `in_force` and `carbonqa ask --as-of`."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from helpers_pdf import manifest_entry
from ingest.manifest import DocumentEntry
from small_index import V1, V2, small_env, small_index  # noqa: F401  (fixtures)


def _entries(*rows: dict) -> list[DocumentEntry]:
    return [DocumentEntry.model_validate(r) for r in rows]


def test_in_force_follows_dates_and_supersession():
    from assistant.retrieval.versions import in_force

    entries = _entries(
        manifest_entry("std-v1", "a.pdf", date="2019-01-01"),
        manifest_entry("std-v2", "b.pdf", date="2022-06-01", supersedes=["std-v1"]),
        manifest_entry("std-v3", "c.pdf", date="2030-01-01", supersedes=["std-v2"]),
        manifest_entry("undated", "d.pdf", date=None),
        manifest_entry("orphan", "e.pdf", date="2020-01-01", supersedes=["not-listed"]),
    )
    assert in_force(entries, dt.date(2018, 1, 1)) == {"undated"}, "nothing else was published yet"
    assert in_force(entries, dt.date(2020, 6, 1)) == {"std-v1", "undated", "orphan"}
    assert in_force(entries, dt.date(2022, 6, 1)) == {"std-v2", "undated", "orphan"}, "in force on its date"
    assert in_force(entries, dt.date(2031, 1, 1)) == {"std-v3", "undated", "orphan"}
    today = in_force(entries)
    assert "std-v2" in today and "std-v3" not in today, "a future version does not replace today's"


def test_undated_successor_supersedes_at_once():
    from assistant.retrieval.versions import in_force

    entries = _entries(manifest_entry("old", "a.pdf", date="2019-01-01"),
                       manifest_entry("new", "b.pdf", date=None, supersedes=["old"]))
    assert in_force(entries, dt.date(2020, 1, 1)) == {"new"}


@pytest.mark.slow
def test_ask_as_of_answers_from_the_version_then_in_force(small_env, cli):
    q = "What does Project Proponent mean?"
    then = json.loads(cli("ask", q, "--as-of", "2021-06-30", "--json").output)
    assert then["searched_documents"] == [V1] and {c["doc_id"] for c in then["citations"]} <= {V1}
    now = json.loads(cli("ask", q, "--json").output)
    assert now["searched_documents"] == [V2] and {c["doc_id"] for c in now["citations"]} <= {V2}
    named = json.loads(cli("ask", q, "--as-of", "2021-06-30", "--doc", V2, "--json").output)
    assert named["searched_documents"] == [V2], "a document the user names is searched whatever the date"
    assert not any("superseded" in w for w in named["warnings"]), named["warnings"]
    assert any(f"[{V2}] was not yet published on 2021-06-30" in w for w in named["warnings"]), named["warnings"]
    old = json.loads(cli("ask", q, "--doc", V1, "--json").output)
    assert any(f"[{V1}] is superseded; the version in force is {V2}" in w for w in old["warnings"]), old["warnings"]


def test_ask_as_of_rejects_a_bad_date(small_env, cli):
    result = cli("ask", "What is a project proponent?", "--as-of", "30/06/2021")
    assert result.exit_code == 2 and "expected a date like" in result.output


def test_labels_name_the_version_in_force_on_the_date():
    from assistant.models import Citation
    from assistant.retrieval.versions import label_citations

    entries = _entries(
        manifest_entry("std-v1", "a.pdf", date="2019-01-01"),
        manifest_entry("std-v2", "b.pdf", date="2022-06-01", supersedes=["std-v1"]),
        manifest_entry("std-v3", "c.pdf", date="2030-01-01", supersedes=["std-v2"]),
    )

    def cites(*ids):
        return [Citation(n=i, doc_id=d, title=d, page=1, page_label="", section="", quote="q", score=1.0)
                for i, d in enumerate(ids, 1)]

    assert label_citations(cites("std-v1"), entries, dt.date(2024, 1, 1)) == [
        "[std-v1] is superseded; the version in force is std-v2"], "not the 2030 version, not yet in force"
    assert label_citations(cites("std-v2", "std-v1"), entries, dt.date(2020, 1, 1)) == [
        "[std-v2] was not yet published on 2020-01-01 (dated 2022-06-01)"]
    assert label_citations(cites("std-v2"), entries, dt.date(2023, 1, 1)) == []
