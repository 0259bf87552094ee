"""A two-version rulebook corpus, ingested once per test session, for tests that need a real index.

`rules-v1` (2020) is superseded by `rules-v2` (2023); both are the small rulebooks of helpers_pdf,
so an index of them costs seconds, not the minutes of the bundled corpus. Read-only for tests.
"""
from __future__ import annotations

import pytest

from helpers_pdf import make_rules_pdf, manifest_entry, write_manifest

V1, V2 = "rules-v1", "rules-v2"


@pytest.fixture(scope="session")
def small_index(tmp_path_factory):
    """Settings of an index holding rules-v1 and rules-v2 (which supersedes it)."""
    from ingest.pipeline import ingest
    from ingest.settings import Settings

    root = tmp_path_factory.mktemp("small-index")
    corpus = root / "corpus"
    make_rules_pdf(corpus / "rules-v1.pdf", tag="A")
    make_rules_pdf(corpus / "rules-v2.pdf", tag="B")
    write_manifest(corpus / "manifest.yaml", [
        manifest_entry(V1, "rules-v1.pdf", date="2020-01-01", version="1.0"),
        manifest_entry(V2, "rules-v2.pdf", date="2023-01-01", version="2.0", supersedes=[V1]),
    ])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CARBONQA_CONFIG", str(root / "no-carbonqa.toml"))
        settings = Settings(data_dir=root / ".carbonqa", corpus_dir=corpus, manifest=corpus / "manifest.yaml")
        report = ingest(settings)
    assert not report.failed, [r.error for r in report.failed]
    return settings


@pytest.fixture
def small_env(small_index, monkeypatch):
    """Point env (the CLI, get_settings()) at the small index; returns its Settings."""
    monkeypatch.setenv("CARBONQA_DATA_DIR", str(small_index.data_dir))
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(small_index.corpus_dir))
    monkeypatch.setenv("CARBONQA_MANIFEST", str(small_index.manifest_path))
    return small_index
