"""Ingest robustness: any error is one document's failure; one ingest per data dir; progress lines."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from ingest.store import Store


class _FailingEmbedder:
    """The real embedder, except that it crashes on texts containing `marker`."""

    def __init__(self, real, marker: str):
        self.real, self.marker = real, marker
        self.name, self.dim, self.model_dir = real.name, real.dim, real.model_dir

    def embed(self, texts, batch_size: int = 64):
        """Vectors, or a RuntimeError like a crashing model would raise."""
        if any(self.marker in t for t in texts):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return self.real.embed(texts, batch_size)

    def embed_spans(self, texts, spans, batch_size: int = 64):
        """Vectors and span vectors, or the same RuntimeError."""
        if any(self.marker in t for t in texts):
            raise RuntimeError("CUDA error: device-side assert triggered")
        return self.real.embed_spans(texts, spans, batch_size)


def _patch_embedder(monkeypatch, marker: str) -> None:
    import ingest.pipeline as pipeline

    real = pipeline.get_embedder
    monkeypatch.setattr(pipeline, "get_embedder", lambda *a, **k: _FailingEmbedder(real(*a, **k), marker))


def _break_store(monkeypatch, marker: str) -> None:
    """Chroma fails on the chunks of one document."""
    original = Store.add_chunks

    def add_chunks(self, chunks, vectors, sentences=None):
        if any(marker in c.text for c in chunks):
            raise ValueError("chromadb.errors.InternalError: database disk image is malformed")
        return original(self, chunks, vectors, sentences)

    monkeypatch.setattr(Store, "add_chunks", add_chunks)


def _break_chunker(monkeypatch, marker: str) -> None:
    """The tokenizer blows up inside chunking for one document."""
    import ingest.pipeline as pipeline

    original = pipeline.chunk_document

    def chunk_document(doc, *a, **k):
        if any(marker in p.text for p in doc.pages):
            raise OverflowError("tokenizer: sequence too long")
        return original(doc, *a, **k)

    monkeypatch.setattr(pipeline, "chunk_document", chunk_document)


@pytest.mark.parametrize("breaker, kind", [
    (_patch_embedder, "RuntimeError"), (_break_store, "ValueError"), (_break_chunker, "OverflowError")])
def test_any_error_fails_only_its_document(tmp_settings, cli, monkeypatch, breaker, kind):
    breaker(monkeypatch, "Rule set B")
    result = cli("ingest")
    assert result.exit_code == 1, result.output
    reg = Store(tmp_settings).registry()
    assert reg["doc-a"]["status"] == "ingested" and reg["doc-a"]["chunks"] > 0
    assert reg["doc-b"]["status"] == "failed" and kind in reg["doc-b"]["error"]
    assert re.search(rf"failed:.*doc-b\.pdf.*{kind}", result.output.replace("\n", " ")), result.output
    assert "Traceback" not in result.output


def test_failure_keeps_the_previous_good_version(tmp_settings, cli, monkeypatch):
    from helpers_pdf import make_rules_pdf

    assert cli("ingest").exit_code == 0
    before = {m["doc_id"] for m in Store(tmp_settings).all_chunks()[2]}
    make_rules_pdf(tmp_settings.corpus_dir / "doc-b.pdf", tag="B-new")
    _patch_embedder(monkeypatch, "Rule set B-new")
    assert cli("ingest").exit_code == 1
    texts = [t for t, m in zip(*Store(tmp_settings).all_chunks()[1:]) if m["doc_id"] == "doc-b"]
    assert {m["doc_id"] for m in Store(tmp_settings).all_chunks()[2]} == before
    assert texts and all("Rule set B-new" not in t for t in texts), "the old doc-b stays searchable"


def test_second_ingest_on_the_same_data_dir_is_refused(tmp_settings, cli):
    from ingest.pipeline import lock_path

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; l = FileLock(sys.argv[1]); "
         "l.acquire(); print('held', flush=True); time.sleep(60)", str(lock_path(tmp_settings))],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = cli("ingest")
        assert time.monotonic() - started < 30
        assert result.exit_code == 2, result.output
        assert "another `carbonqa ingest` is running" in result.output
        assert str(tmp_settings.data_dir) in result.output.replace("\n", "")
    finally:
        holder.kill()
        holder.wait()
    assert cli("ingest").exit_code == 0, "once the other run ends, ingest works"


def test_progress_without_a_terminal_is_one_line_per_document(tmp_settings, cli):
    result = cli("ingest")
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("[")]
    assert re.fullmatch(r"\[1/2\] doc-a: ingested, 4 pages, \d+ chunks, \d+\.\d s", lines[0]), lines
    assert re.fullmatch(r"\[2/2\] doc-b: ingested, 6 pages, \d+ chunks, \d+\.\d s", lines[1]), lines
    again = cli("ingest")
    assert [ln for ln in again.output.splitlines() if ln.startswith("[")] == [
        "[1/2] doc-a: skipped (unchanged)", "[2/2] doc-b: skipped (unchanged)"]
    assert "\x1b[" not in again.output, "no progress-bar escapes when the output is not a terminal"
