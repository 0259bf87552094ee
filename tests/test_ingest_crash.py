"""Crash safety: `carbonqa ingest` killed with SIGKILL at bad moments, then re-run, leaves a consistent index.

A sitecustomize hook in the child process (enabled by CQ_TEST_CRASH=point:n) writes a marker file
at the n-th embedding call, after the n-th chunk write, or after the n-th registry write, and then
waits to be killed; the test kills it with SIGKILL as soon as the marker appears.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO
from helpers_pdf import make_long_pdf, manifest_entry, write_manifest
from ingest.pipeline import ingest
from ingest.settings import Settings
from ingest.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

HOOK = '''
import os, time
_point, _n = os.environ["CQ_TEST_CRASH"].split(":")
_seen = {}


def _hit(name):
    _seen[name] = _seen.get(name, 0) + 1
    if name == _point and _seen[name] == int(_n):
        with open(os.environ["CQ_TEST_MARKER"], "w") as fh:
            fh.write(name)
        if name != "embed":
            time.sleep(600)  # wait for SIGKILL


import ingest.embed as _embed
import ingest.store as _store

# Both embedding backends are hooked: the hook must not depend on which one is the default.
_orig_embed = {c: c.embed_spans for c in (_embed.SentenceTransformerEmbedder, _embed.OnnxEmbedder)}
_orig_add = _store.Store.add_chunks
_orig_put = _store.Store.put_record


def embed_spans(self, texts, spans, batch_size=64):
    _hit("embed")  # the marker is written, then the real embedding runs until the kill lands
    return _orig_embed[type(self)](self, texts, spans, batch_size)


def add_chunks(self, chunks, vectors, sentences=None):
    _orig_add(self, chunks, vectors, sentences)
    _hit("stored")  # chunks written, registry record not yet


def put_record(self, doc_id, record):
    _orig_put(self, doc_id, record)
    _hit("record")  # registry flipped, old chunks not yet deleted


for _cls in _orig_embed:
    _cls.embed_spans = embed_spans
_store.Store.add_chunks = add_chunks
_store.Store.put_record = put_record
'''


def _corpus(root: Path, tags: dict[str, str]) -> Path:
    """A corpus of long generated PDFs; tags maps doc id -> text tag."""
    root.mkdir(parents=True, exist_ok=True)
    for doc_id, tag in tags.items():
        make_long_pdf(root / f"{doc_id}.pdf", tag, pages=6)
    write_manifest(root / "manifest.yaml", [manifest_entry(d, f"{d}.pdf") for d in tags])
    return root


def _raw_chunks(settings: Settings) -> dict[str, set[str]]:
    """Every stored chunk id per document (active or not)."""
    got = Store(settings).chunks.get(include=["metadatas"])
    out: dict[str, set[str]] = {}
    for i, m in zip(got["ids"], got["metadatas"]):
        out.setdefault(m["doc_id"], set()).add(i)
    return out


def _active_chunks(settings: Settings) -> dict[str, set[str]]:
    """What readers see: active chunk ids per document."""
    ids, _, metas = Store(settings).all_chunks()
    out: dict[str, set[str]] = {}
    for i, m in zip(ids, metas):
        out.setdefault(m["doc_id"], set()).add(i)
    return out


def _fresh(tmp_path: Path, corpus: Path, name: str) -> dict[str, set[str]]:
    """Chunk ids per document of a clean ingest of `corpus` into a new data dir."""
    settings = Settings(data_dir=tmp_path / name, corpus_dir=corpus)
    assert not ingest(settings).failed
    return _raw_chunks(settings)


def _run_cli(data: Path, corpus: Path, log: Path, crash: str | None = None, marker: Path | None = None):
    """Start `carbonqa ingest` in a child process; with `crash`, the hook is active."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONQA_")}
    env.update(CARBONQA_DATA_DIR=str(data), CARBONQA_CORPUS_DIR=str(corpus), HF_HUB_OFFLINE="1",
               CARBONQA_CONFIG=str(data.parent / "none.toml"), OMP_WAIT_POLICY="PASSIVE")
    if crash:
        hook_dir = log.parent / "hook"
        hook_dir.mkdir(exist_ok=True)
        (hook_dir / "sitecustomize.py").write_text(HOOK)
        env.update(CQ_TEST_CRASH=crash, CQ_TEST_MARKER=str(marker),
                   PYTHONPATH=os.pathsep.join([str(hook_dir), str(REPO)]))
    cmd = [sys.executable, "-c", "from assistant.cli import main; main()", "ingest"]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _kill_at_marker(proc: subprocess.Popen, marker: Path, log: Path, timeout: float = 600) -> None:
    """SIGKILL the child as soon as the hook writes its marker."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"ingest exited ({proc.returncode}) before the crash point:\n{log.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("crash point never reached")
        time.sleep(0.02)
    proc.kill()  # SIGKILL: no cleanup, no atexit
    proc.wait(timeout=60)
    assert proc.returncode == -9


@pytest.mark.parametrize("point", ["embed:2", "stored:2"])
def test_killed_first_ingest_recovers(tmp_path, point, cli, monkeypatch):
    corpus = _corpus(tmp_path / "corpus", {"doc-a": "A", "doc-b": "B", "doc-c": "C"})
    expected = _fresh(tmp_path, corpus, "fresh")
    data = tmp_path / "crashed" / ".carbonqa"
    marker = tmp_path / "marker"
    proc = _run_cli(data, corpus, tmp_path / "child.log", point, marker)
    _kill_at_marker(proc, marker, tmp_path / "child.log")

    settings = Settings(data_dir=data, corpus_dir=corpus)
    seen = _active_chunks(settings)
    assert "doc-b" not in seen and "doc-c" not in seen, "a document killed before its record was written is invisible"
    assert seen.get("doc-a") == expected["doc-a"], "the document finished before the kill is complete"

    monkeypatch.setenv("CARBONQA_DATA_DIR", str(data))
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(corpus))
    result = cli("ingest")
    assert result.exit_code == 0, result.output
    assert _raw_chunks(settings) == expected
    assert _active_chunks(settings) == expected
    registry = Store(settings).registry()
    assert {d: r["chunks"] for d, r in registry.items()} == {d: len(v) for d, v in expected.items()}


def test_killed_replace_recovers(tmp_path, cli, monkeypatch):
    """Killed between flipping a changed document's record and deleting its old chunks."""
    corpus = _corpus(tmp_path / "corpus", {"doc-a": "A", "doc-b": "B"})
    data = tmp_path / "crashed" / ".carbonqa"
    first = _run_cli(data, corpus, tmp_path / "first.log")
    assert first.wait(timeout=600) == 0, (tmp_path / "first.log").read_text()
    old = _fresh(tmp_path, corpus, "fresh-old")

    make_long_pdf(corpus / "doc-a.pdf", "A2", pages=6)
    expected = _fresh(tmp_path, corpus, "fresh-new")
    assert not expected["doc-a"] & old["doc-a"]
    marker = tmp_path / "marker"
    proc = _run_cli(data, corpus, tmp_path / "child.log", "record:1", marker)
    _kill_at_marker(proc, marker, tmp_path / "child.log")

    settings = Settings(data_dir=data, corpus_dir=corpus)
    assert _raw_chunks(settings)["doc-a"] == old["doc-a"] | expected["doc-a"], "killed before garbage collection"
    assert _active_chunks(settings) == expected, "readers see exactly the new version, never both"

    monkeypatch.setenv("CARBONQA_DATA_DIR", str(data))
    monkeypatch.setenv("CARBONQA_CORPUS_DIR", str(corpus))
    result = cli("ingest")
    assert result.exit_code == 0, result.output
    assert _raw_chunks(settings) == expected
