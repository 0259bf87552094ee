"""Server mode: the same ingest and queries against a real `chroma run` server on localhost."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from helpers_net import free_port, stop

from ingest.embed import get_embedder
from ingest.settings import Settings
from ingest.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _chroma_cli() -> str | None:
    """The `chroma` command of this environment."""
    here = Path(sys.executable).parent / "chroma"
    return str(here) if here.exists() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A Chroma server on a free localhost port, persisting to a temp dir; yields its URL."""
    exe = _chroma_cli()
    if exe is None:
        pytest.skip("the chroma CLI is not installed")
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = (path / "server.log").open("w")
    proc = subprocess.Popen([exe, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma server exited: {(path / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("chroma server did not answer its heartbeat in 120 s")
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


def test_ingest_and_query_through_a_server(tmp_settings, chroma_server, cli, monkeypatch):
    monkeypatch.setenv("CARBONQA_CHROMA_URL", chroma_server)
    result = cli("ingest")
    assert result.exit_code == 0, result.output
    assert "ingested 2 documents" in result.output
    assert not tmp_settings.chroma_path.exists(), "server mode writes no local store"

    settings = Settings(data_dir=tmp_settings.data_dir, corpus_dir=tmp_settings.corpus_dir, chroma_url=chroma_server)
    embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
    hits = Store(settings).query(embedder.embed(["Who has overall control of the project?"])[0], 3)
    assert hits and any("overall control of the project" in text for _, text, _, _ in hits)
    assert {m["doc_id"] for _, _, m, _ in hits} <= {"doc-a", "doc-b"}

    rows = {r["id"]: r for r in json.loads(cli("corpus", "list", "--json").output)}
    assert rows["doc-a"]["status"] == "ingested" and rows["doc-b"]["chunks"] > 0
    again = cli("ingest")
    assert again.exit_code == 0 and "2 unchanged" in again.output


def test_unreachable_server_is_one_clear_error(tmp_settings, cli, monkeypatch):
    monkeypatch.setenv("CARBONQA_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    result = cli("ingest")
    assert result.exit_code == 2, result.output
    assert "unreachable" in result.output and "Traceback" not in result.output
