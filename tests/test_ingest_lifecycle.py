"""A document's life in the index: added, skipped, replaced, purged, added ad hoc, rebuilt."""
from __future__ import annotations

import json

from helpers_pdf import make_long_pdf, make_rules_pdf, read_manifest, write_manifest
from ingest.pipeline import ingest
from ingest.store import Store


def _chunks_by_doc(settings) -> dict[str, set[str]]:
    """Active chunk ids per document."""
    out: dict[str, set[str]] = {}
    ids, _, metas = Store(settings).all_chunks()
    for i, m in zip(ids, metas):
        out.setdefault(m["doc_id"], set()).add(i)
    return out


def _raw_chunks(settings, doc_id) -> set[str]:
    """Every stored chunk of a document, active or not (to catch leftovers)."""
    return set(Store(settings).chunks.get(where={"doc_id": doc_id}, include=[])["ids"])


def _texts(settings, doc_id) -> str:
    ids, texts, metas = Store(settings).all_chunks()
    return "\n".join(t for t, m in zip(texts, metas) if m["doc_id"] == doc_id)


def test_second_run_skips_everything(tmp_settings):
    first = ingest(tmp_settings)
    assert [r.status for r in first.results] == ["ingested", "ingested"]
    before = _chunks_by_doc(tmp_settings)
    second = ingest(tmp_settings)
    assert [r.status for r in second.results] == ["skipped", "skipped"]
    assert [(r.pages, r.chunks) for r in second.results] == [(r.pages, r.chunks) for r in first.results]
    assert _chunks_by_doc(tmp_settings) == before


def test_changed_document_is_replaced(tmp_settings):
    ingest(tmp_settings)
    old = _chunks_by_doc(tmp_settings)
    assert "Rule set A" in _texts(tmp_settings, "doc-a")
    make_rules_pdf(tmp_settings.corpus_dir / "doc-a.pdf", tag="Z")
    report = ingest(tmp_settings)
    assert {r.doc_id: r.status for r in report.results} == {"doc-a": "ingested", "doc-b": "skipped"}
    new = _chunks_by_doc(tmp_settings)
    assert new["doc-a"] and not new["doc-a"] & old["doc-a"], "a new version gets new chunk ids"
    assert _raw_chunks(tmp_settings, "doc-a") == new["doc-a"], "old chunks must be deleted"
    assert new["doc-b"] == old["doc-b"]
    text = _texts(tmp_settings, "doc-a")
    assert "Rule set Z" in text and "Rule set A" not in text


def test_removed_document_is_purged(tmp_settings, cli):
    ingest(tmp_settings)
    entries = read_manifest(tmp_settings.manifest_path)
    write_manifest(tmp_settings.manifest_path, [e for e in entries if e["id"] != "doc-b"])
    report = ingest(tmp_settings)
    assert {r.doc_id: r.status for r in report.results} == {"doc-b": "purged", "doc-a": "skipped"}
    assert set(_chunks_by_doc(tmp_settings)) == {"doc-a"}
    assert not _raw_chunks(tmp_settings, "doc-b")
    assert "doc-b" not in Store(tmp_settings).registry()
    assert [r["id"] for r in json.loads(cli("corpus", "list", "--json").output)] == ["doc-a"]


def test_only_and_force_touch_only_the_named_documents(tmp_settings, cli):
    ingest(tmp_settings)
    before = _chunks_by_doc(tmp_settings)
    result = cli("ingest", "--only", "doc-a", "--force")
    assert result.exit_code == 0, result.output
    after = _chunks_by_doc(tmp_settings)
    assert after == before, "--force with --only re-ingests doc-a (same ids) and keeps doc-b"
    report = ingest(tmp_settings, only=["doc-b"])
    assert [(r.doc_id, r.status) for r in report.results] == [("doc-b", "skipped")]


def test_force_rebuilds_everything(tmp_settings):
    ingest(tmp_settings)
    before = _chunks_by_doc(tmp_settings)
    report = ingest(tmp_settings, force=True)
    assert [r.status for r in report.results] == ["ingested", "ingested"]
    assert _chunks_by_doc(tmp_settings) == before


def test_adhoc_paths_are_ingested_and_listed(tmp_settings, tmp_path, cli):
    ingest(tmp_settings)
    extra = make_long_pdf(tmp_path / "My Extra Rules.pdf", "X", pages=3)
    result = cli("ingest", str(extra))
    assert result.exit_code == 0, result.output
    assert "My-Extra-Rules" in result.output
    assert "My-Extra-Rules" in _chunks_by_doc(tmp_settings)
    rows = {r["id"]: r for r in json.loads(cli("corpus", "list", "--json").output)}
    assert rows["My-Extra-Rules"]["availability"] == "adhoc"
    assert rows["My-Extra-Rules"]["status"] == "ingested" and rows["My-Extra-Rules"]["chunks"] > 0
    # A later full run keeps ad-hoc documents (they are not in the manifest on purpose).
    report = ingest(tmp_settings)
    assert "My-Extra-Rules" not in {r.doc_id for r in report.results if r.status == "purged"}
    assert "My-Extra-Rules" in _chunks_by_doc(tmp_settings)


def test_cli_ingest_prints_table_and_totals(tmp_settings, cli):
    result = cli("ingest")
    assert result.exit_code == 0, result.output
    out = result.output
    for word in ("document", "status", "pages", "chunks", "seconds", "doc-a", "doc-b", "ingested"):
        assert word in out
    assert "ingested 2 documents (10 pages," in out and "pages/s" in out
    again = cli("ingest")
    assert again.exit_code == 0 and "skipped" in again.output and "2 unchanged, 0 failed" in again.output


def test_changed_index_settings_need_force(tmp_settings, cli, monkeypatch):
    assert cli("ingest").exit_code == 0
    monkeypatch.setenv("CARBONQA_CHUNK_TOKENS", "120")
    result = cli("ingest")
    assert result.exit_code == 3 and "carbonqa ingest --force" in result.output
    assert cli("ingest", "--force").exit_code == 0
