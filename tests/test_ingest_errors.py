"""Bad inputs: each gives one clear error naming the file; the rest of the corpus and the index survive."""
from __future__ import annotations

import json
import shutil

import pytest

from helpers_pdf import (
    make_corrupt_pdf, make_encrypted_pdf, make_image_only_pdf, make_rules_pdf, make_truncated_pdf,
    make_zero_page_pdf, manifest_entry, read_manifest, write_manifest,
)
from ingest.pdf import NO_TEXT
from ingest.pipeline import ingest
from ingest.store import Store

BAD_FILES = {
    "corrupt": (lambda p, good: make_corrupt_pdf(p), "corrupt or truncated PDF"),
    "truncated": (lambda p, good: make_truncated_pdf(p, good, keep=0.6), "corrupt or truncated PDF"),
    "encrypted": (lambda p, good: make_encrypted_pdf(p), "encrypted PDF — needs a password"),
    "zero-page": (lambda p, good: make_zero_page_pdf(p), "PDF has zero pages"),
    "image-only": (lambda p, good: make_image_only_pdf(p), NO_TEXT),
}


def _doc_ids(settings, doc_id):
    """Ids of the active chunks of one document."""
    ids, _, metas = Store(settings).all_chunks()
    return {i for i, m in zip(ids, metas) if m["doc_id"] == doc_id}


def _bad_corpus(settings):
    """Add every kind of bad input next to the two good documents; return {id: (file, reason)}."""
    corpus = settings.corpus_dir
    good = corpus / "doc-a.pdf"
    entries = read_manifest(corpus / "manifest.yaml")
    expected = {}
    for kind, (make, reason) in BAD_FILES.items():
        make(corpus / f"{kind}.pdf", good)
        entries.append(manifest_entry(kind, f"{kind}.pdf"))
        expected[kind] = (corpus / f"{kind}.pdf", reason)
    entries.append(manifest_entry("missing", "not-there.pdf"))
    expected["missing"] = (corpus / "not-there.pdf", "file not found")
    make_rules_pdf(corpus / "checked.pdf", tag="C")
    entries.append(manifest_entry("checked", "checked.pdf", sha256="0" * 64))
    expected["checked"] = (corpus / "checked.pdf", "sha256 mismatch")
    shutil.copy(good, corpus / "copy-of-a.pdf")
    entries.append(manifest_entry("copy-of-a", "copy-of-a.pdf"))
    expected["copy-of-a"] = (corpus / "copy-of-a.pdf", "duplicate file: same content as 'doc-a'")
    write_manifest(corpus / "manifest.yaml", entries)
    return expected


def test_each_bad_input_fails_alone(tmp_settings):
    expected = _bad_corpus(tmp_settings)
    report = ingest(tmp_settings)
    status = {r.doc_id: r for r in report.results}
    assert status["doc-a"].status == "ingested" and status["doc-b"].status == "ingested"
    assert status["doc-a"].chunks > 0 and status["doc-b"].chunks > 0
    assert {r.doc_id for r in report.failed} == set(expected)
    for doc_id, (path, reason) in expected.items():
        err = status[doc_id].error
        assert err.startswith(f"{path}: "), f"{doc_id}: error does not name its file: {err}"
        assert reason in err
        assert "\n" not in err and "Traceback" not in err
    assert _doc_ids(tmp_settings, "doc-a") and _doc_ids(tmp_settings, "doc-b")
    for doc_id in expected:
        assert not _doc_ids(tmp_settings, doc_id)


def test_cli_reports_each_failure_on_one_line_and_exits_nonzero(tmp_settings, cli):
    expected = _bad_corpus(tmp_settings)
    result = cli("ingest")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    for doc_id, (path, reason) in expected.items():
        hits = [line for line in lines if line.startswith("failed:") and str(path) in line]
        assert len(hits) == 1, f"{doc_id}: expected one failure line naming {path}\n{result.output}"
        assert reason in hits[0]
    assert "Traceback" not in result.output
    listing = {r["id"]: r for r in json.loads(cli("corpus", "list", "--json").output)}
    assert listing["doc-a"]["status"] == "ingested" and listing["doc-b"]["status"] == "ingested"
    assert listing["image-only"]["status"] == "failed" and listing["image-only"]["error"] == NO_TEXT
    assert listing["missing"]["status"] == "failed" and "file not found" in listing["missing"]["error"]


@pytest.mark.parametrize("kind", [*BAD_FILES, "missing"])
def test_bad_new_version_leaves_indexed_data_untouched(tmp_settings, cli, kind):
    assert not ingest(tmp_settings).failed
    before = _doc_ids(tmp_settings, "doc-a")
    before_b = _doc_ids(tmp_settings, "doc-b")
    assert before
    doc_a = tmp_settings.corpus_dir / "doc-a.pdf"
    good_copy = tmp_settings.corpus_dir.parent / "good-a.pdf"
    shutil.copy(doc_a, good_copy)
    doc_a.unlink()
    if kind != "missing":
        make, reason = BAD_FILES[kind]
        make(doc_a, good_copy)
    else:
        reason = "file not found"
    result = cli("ingest")
    assert result.exit_code == 1
    assert f"{doc_a}: {reason}" in result.output
    assert _doc_ids(tmp_settings, "doc-a") == before, "the previous good version must stay searchable"
    assert _doc_ids(tmp_settings, "doc-b") == before_b
    row = next(r for r in json.loads(cli("corpus", "list", "--json").output) if r["id"] == "doc-a")
    assert row["status"] == "ingested" and reason in row["error"] and row["stale"]


def test_bad_manifest_is_one_red_line_and_exit_2(tmp_settings, cli):
    entries = read_manifest(tmp_settings.manifest_path)
    entries[1]["category"] = "poetry"
    write_manifest(tmp_settings.manifest_path, entries)
    for args in (("ingest",), ("corpus", "list")):
        result = cli(*args)
        assert result.exit_code == 2
        assert "entry 'doc-b', field 'category'" in result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_unknown_only_id_is_an_error(tmp_settings, cli):
    result = cli("ingest", "--only", "no-such-doc")
    assert result.exit_code == 2 and "unknown document id(s): no-such-doc" in result.output


def test_bad_setting_is_one_line(monkeypatch, cli):
    monkeypatch.setenv("CARBONQA_CHUNK_TOKENS", "5000")
    result = cli("config", "show")
    assert result.exit_code == 2 and "chunk_tokens" in result.output and "Traceback" not in result.output
