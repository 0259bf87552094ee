"""Shared fixtures: a hermetic environment, a tiny temporary corpus, and the real corpus indexed once.

- Every test runs with CARBONQA_DATA_DIR in its own temp dir, no carbonqa.toml, HF_HUB_OFFLINE=1.
- `indexed_settings` (session): the 16 bundled documents ingested once per run; read-only for tests.
- `tmp_settings` (function): an empty data dir and a temp corpus of two small PDFs with its own manifest.
- The embedding model loads once per run: ingest.embed.get_embedder is cached in-process.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Nothing from the developer's shell or a local carbonqa.toml leaks into tests.
for _key in [k for k in os.environ if k.startswith("CARBONQA_")]:
    del os.environ[_key]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from helpers_pdf import make_rules_pdf, manifest_entry, write_manifest  # noqa: E402


def _scrub(mp: pytest.MonkeyPatch) -> None:
    """Remove every CARBONQA_* variable for the duration of `mp`."""
    for key in [k for k in os.environ if k.startswith("CARBONQA_")]:
        mp.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Own data dir per test, the bundled corpus, no config file, no hub access."""
    _scrub(monkeypatch)
    data = tmp_path / ".carbonqa"
    monkeypatch.setenv("CARBONQA_DATA_DIR", str(data))
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("CARBONQA_CONFIG", str(tmp_path / "no-carbonqa.toml"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return data


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory):
    """Settings of an index holding the real bundled corpus, ingested once per test session.

    Shared by every test that asks for it: read from it, never ingest into it or change it.
    To point the CLI or get_settings() at it, use `indexed_env`.
    """
    from ingest.pipeline import ingest
    from ingest.settings import Settings

    data = tmp_path_factory.mktemp("indexed") / ".carbonqa"
    with pytest.MonkeyPatch.context() as mp:
        _scrub(mp)
        mp.setenv("CARBONQA_CONFIG", str(data.parent / "no-carbonqa.toml"))
        settings = Settings(data_dir=data, corpus_dir=CORPUS, manifest=CORPUS / "manifest.yaml")
        started = time.perf_counter()
        report = ingest(settings)
    failed = [r.error for r in report.failed]
    assert not failed, f"bundled corpus failed to ingest: {failed}"
    totals = report.totals()
    print(f"\n[indexed_settings] {totals['documents']} documents, {totals['pages']} pages, "
          f"{totals['chunks']} chunks in {time.perf_counter() - started:.0f} s")
    return settings


@pytest.fixture
def indexed_env(indexed_settings, monkeypatch: pytest.MonkeyPatch):
    """Point env (CLI, get_settings()) at the shared real-corpus index; returns its Settings."""
    monkeypatch.setenv("CARBONQA_DATA_DIR", str(indexed_settings.data_dir))
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(indexed_settings.corpus_dir))
    monkeypatch.setenv("CARBONQA_MANIFEST", str(indexed_settings.manifest_path))
    return indexed_settings


@pytest.fixture
def tmp_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Empty data dir; corpus_dir is a temp corpus with doc-a.pdf, doc-b.pdf and its own manifest.

    The env points at the same places, so the CLI and get_settings() see this corpus too.
    Edit the corpus with helpers_pdf (make_rules_pdf, read_manifest, write_manifest).
    """
    from ingest.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_rules_pdf(corpus / "doc-a.pdf", tag="A")
    make_rules_pdf(corpus / "doc-b.pdf", tag="B", extra_pages=2)
    write_manifest(corpus / "manifest.yaml", [
        manifest_entry("doc-a", "doc-a.pdf"),
        manifest_entry("doc-b", "doc-b.pdf", category="methodology", version="2.0"),
    ])
    data = tmp_path / ".carbonqa"
    monkeypatch.setenv("CARBONQA_DATA_DIR", str(data))
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(corpus))
    return Settings(data_dir=data, corpus_dir=corpus)


@pytest.fixture
def cli():
    """Run `carbonqa ARGS...` in-process; returns click's Result (exit_code, output)."""
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run
