"""`carbonqa corpus fetch` against a local HTTP server: atomic writes, sha256 checks, clear failures."""
from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers_net import free_port
from helpers_pdf import make_rules_pdf, manifest_entry, read_manifest, write_manifest


@pytest.fixture(scope="module")
def pdf_bytes(tmp_path_factory):
    return make_rules_pdf(tmp_path_factory.mktemp("remote") / "r.pdf", tag="R").read_bytes()


@pytest.fixture(scope="module")
def server(pdf_bytes):
    """Serves /ok.pdf, /page.html, /cut.pdf (connection drops mid-body); anything else is 404."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/ok.pdf":
                self._send(200, "application/pdf", pdf_bytes)
            elif path == "/page.html":
                self._send(200, "text/html", b"<html><body>JCM rules</body></html>")
            elif path == "/cut.pdf":
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(pdf_bytes)))
                self.end_headers()
                self.wfile.write(pdf_bytes[:200])
                self.wfile.flush()
                self.close_connection = True
            else:
                self._send(404, "text/plain", b"not found")

        def _send(self, code, kind, body):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def remote_corpus(tmp_settings, server, pdf_bytes, monkeypatch):
    """tmp_settings' corpus plus documents to fetch from the local server."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    sha = hashlib.sha256(pdf_bytes).hexdigest()
    entries = read_manifest(tmp_settings.manifest_path) + [
        manifest_entry("remote-ok", None, source_url=f"{server}/ok.pdf"),
        manifest_entry("remote-checked", None, source_url=f"{server}/ok.pdf?v=2", sha256=sha),
        manifest_entry("remote-badsha", None, source_url=f"{server}/ok.pdf?v=3", sha256="1" * 64),
        manifest_entry("remote-404", None, source_url=f"{server}/gone.pdf"),
        manifest_entry("remote-html", None, source_url=f"{server}/page.html"),
        manifest_entry("remote-cut", None, source_url=f"{server}/cut.pdf"),
        manifest_entry("remote-offline", None, source_url=f"http://127.0.0.1:{free_port()}/x.pdf"),
        manifest_entry("remote-nourl", None),
    ]
    write_manifest(tmp_settings.manifest_path, entries)
    return tmp_settings, sha


def test_fetch_downloads_verifies_and_reports(remote_corpus, cli):
    settings, sha = remote_corpus
    fetched = settings.corpus_dir / "fetched"
    result = cli("corpus", "fetch")
    assert result.exit_code == 1, result.output
    out = result.output
    assert "remote-ok: downloaded" in out and f"sha256 {sha} (record it in the manifest)" in out
    assert "remote-checked: downloaded" in out and "sha256 verified" in out
    failures = {
        "remote-badsha": "sha256 mismatch",
        "remote-404": "HTTP 404",
        "remote-html": "not a PDF (got text/html)",
        "remote-cut": "",
        "remote-offline": "cannot connect",
    }
    lines = out.splitlines()
    for doc_id, reason in failures.items():
        hit = [line for line in lines if line.startswith(f"{doc_id}: download failed (")]
        assert len(hit) == 1 and reason in hit[0], f"{doc_id}:\n{out}"
        assert not (fetched / f"{doc_id}.pdf").exists(), f"{doc_id}: nothing may be written on failure"
    assert "remote-nourl: no source_url" in out
    assert "doc-a" not in out, "bundled documents are not fetched unless named"
    assert sorted(p.name for p in fetched.iterdir()) == ["remote-checked.pdf", "remote-ok.pdf"], "no temp files left"

    rows = {r["id"]: r for r in json.loads(cli("corpus", "list", "--json").output)}
    assert rows["remote-ok"]["status"] == "fetched" and rows["remote-404"]["status"] == "missing"
    report = cli("ingest", "--only", "remote-ok")
    assert report.exit_code == 0, report.output
    rows = {r["id"]: r for r in json.loads(cli("corpus", "list", "--json").output)}
    assert rows["remote-ok"]["status"] == "ingested" and rows["remote-ok"]["availability"] == "fetched"


def test_fetch_named_documents_only(remote_corpus, cli):
    settings, _ = remote_corpus
    result = cli("corpus", "fetch", "remote-ok", "doc-a")
    assert result.exit_code == 0, result.output
    assert "remote-ok: downloaded" in result.output and "doc-a: bundled, nothing to fetch" in result.output
    assert "remote-404" not in result.output
    again = cli("corpus", "fetch", "remote-ok")
    assert again.exit_code == 0 and "remote-ok: already fetched" in again.output
    forced = cli("corpus", "fetch", "remote-ok", "--force")
    assert forced.exit_code == 0 and "remote-ok: downloaded" in forced.output


def test_fetch_unknown_id_is_an_error(remote_corpus, cli):
    result = cli("corpus", "fetch", "nope")
    assert result.exit_code == 2 and "unknown document id(s): nope" in result.output


def test_offline_fetch_of_the_real_manifest_fails_cleanly(cli, monkeypatch):
    """With no route to the publishers, every download fails with one line and exit code 1."""
    import httpx

    def offline(*args, **kwargs):
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(httpx, "stream", offline)
    result = cli("corpus", "fetch", "paris-agreement-2015", "decision-2-cma-3-2021")
    assert result.exit_code == 1
    assert "paris-agreement-2015: download failed (cannot connect: [Errno -3]" in result.output
    assert "decision-2-cma-3-2021: download failed (" in result.output
