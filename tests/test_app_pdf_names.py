"""/pdf serves documents whose file names are not Latin-1 (Devanagari, Japanese) with an RFC 5987 header."""
from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from helpers_pdf import make_rules_pdf, manifest_entry, write_manifest
from stub_assistant import StubAssistant

NAMES = {"hindi-rules": "कार्बन नियम.pdf", "japan-rules": "炭素規則 \"v2\".pdf", "plain-rules": "plain rules.pdf"}


def _filename(disposition: str) -> str:
    """The file name a browser reads from a Content-Disposition header (RFC 6266 / 5987)."""
    star = re.search(r"filename\*=utf-8''([^;]+)", disposition, re.I)
    if star:
        return unquote(star.group(1), encoding="utf-8", errors="strict")
    plain = re.search(r'filename="([^"]*)"', disposition)
    assert plain, disposition
    return plain.group(1)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The app (Gradio UI included) over a corpus of three PDFs with these names, and a stub assistant."""
    from assistant.ui.app import ChatService, create_app
    from ingest.settings import Settings

    tmp_path = tmp_path_factory.mktemp("pdf-names")
    corpus = tmp_path / "corpus"
    for name in NAMES.values():
        make_rules_pdf(corpus / name)
    write_manifest(corpus / "manifest.yaml", [manifest_entry(i, f) for i, f in NAMES.items()])
    settings = Settings(data_dir=tmp_path / ".carbonqa", corpus_dir=corpus)
    app, service = create_app(settings, service=ChatService(settings, assistant=StubAssistant()), warm=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    if getattr(service, "files", None) is not None:
        service.files.cleanup()


@pytest.mark.parametrize("doc_id", sorted(NAMES))
def test_pdf_route_names_the_file_in_utf8(web, doc_id):
    r = web.get(f"/pdf/{doc_id}")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("inline;")
    assert _filename(disposition) == NAMES[doc_id]
    assert r.headers["x-content-type-options"] == "nosniff"
