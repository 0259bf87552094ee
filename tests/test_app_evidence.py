"""Evidence packs and feedback only for answers this server issued: forged quotes never get a sha256."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from ingest.errors import CarbonQAError
from ingest.settings import Settings
from stub_assistant import QUOTE, SHA, StubAssistant


@pytest.fixture
def service(tmp_path, monkeypatch):
    """A ChatService over the stub assistant, with the system temp dir redirected into tmp_path."""
    from assistant.ui.app import ChatService

    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    svc = ChatService(Settings(data_dir=tmp_path / ".carbonqa", corpus_dir=tmp_path / "corpus"),
                      assistant=StubAssistant())
    yield svc
    files = getattr(svc, "files", None)
    if files is not None:
        files.cleanup()


def test_issued_answer_exports_with_document_sha(service):
    ans = service.ask("What is a project proponent?", [])
    md, js = service.export(json.dumps(ans))
    pack = json.loads(Path(js).read_text(encoding="utf-8"))
    assert pack["citations"][0]["quote"] == QUOTE and pack["citations"][0]["sha256"] == SHA
    assert QUOTE in Path(md).read_text(encoding="utf-8")


@pytest.mark.parametrize("forge", [
    lambda a: a["citations"][0].update(quote="Verra guarantees every credit is permanent."),
    lambda a: a["citations"][0].update(page=7),
    lambda a: a.update(answer="Verra guarantees every credit is permanent. [1]"),
    lambda a: a.pop("signature", None),
])
def test_altered_or_unsigned_answer_is_refused_and_never_stamped(service, forge):
    ans = service.ask("What is a project proponent?", [])
    forge(ans)
    with pytest.raises(CarbonQAError, match="not issued by this server"):
        service.export(json.dumps(ans))
    with pytest.raises(CarbonQAError, match="not issued by this server"):
        service.feedback(json.dumps(ans), "up", "")
    assert not service.feedback_path.exists(), "a refused answer writes no feedback row"
    written = [p for p in Path(tempfile.gettempdir()).rglob("*") if p.is_file()]
    assert not written, f"a refused answer writes no pack: {written}"


def test_hand_made_answer_is_refused(service):
    forged = {"question": "q", "answer": "Credits never expire. [1]", "citations": [
        {"n": 1, "doc_id": "rules", "title": "Test Rules", "page": 1, "quote": "Credits never expire.",
         "section": "", "score": 1.0}]}
    with pytest.raises(CarbonQAError, match="not issued by this server"):
        service.export(json.dumps(forged))


def test_another_server_process_cannot_vouch(service, tmp_path):
    from assistant.ui.app import ChatService

    other = ChatService(service.settings, assistant=StubAssistant())
    ans = other.ask("What is a project proponent?", [])
    with pytest.raises(CarbonQAError, match="not issued by this server"):
        service.export(json.dumps(ans))


def test_exports_share_one_bounded_temp_dir_removed_on_cleanup(service):
    ans = json.dumps(service.ask("What is a project proponent?", []))
    systmp = Path(tempfile.gettempdir())
    paths = [Path(service.export(ans)[1]) for _ in range(service.files.max_entries + 5)]
    tops = {p for p in systmp.iterdir()}
    assert len(tops) == 1, f"one app temp dir, not one per export: {sorted(tops)}"
    kept = [p for p in paths if p.exists()]
    assert 0 < len(kept) <= service.files.max_entries
    assert paths[-1].exists(), "the newest export is kept"
    service.files.cleanup()
    assert not any(systmp.iterdir()), "cleanup removes the app temp dir"


def test_comparison_files_use_the_same_bounded_dir(service):
    from assistant.ui.tools import write_comparison
    from assistant.compliance.compare import Cell, Comparison

    cmp = Comparison("fees", ["a", "b"], ["fees"], [[Cell("a", "Fees apply.", 1), Cell("b", "", found=False)]], 0.3)
    outs = [write_comparison(cmp, service.files) for _ in range(service.files.max_entries + 3)]
    assert all(Path(md).name == "comparison.md" and Path(csv).name == "comparison.csv" for md, csv in outs)
    assert len([p for p in Path(tempfile.gettempdir()).iterdir()]) == 1
    assert sum(Path(md).exists() for md, _ in outs) <= service.files.max_entries


@pytest.mark.slow
def test_signed_answer_survives_the_gradio_api_and_a_forged_one_does_not(tmp_path):
    """Through the served API: /ask's answer exports as is; the same answer with a changed quote is refused."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from assistant.ui.app import ChatService, create_app
    from helpers_pdf import write_manifest
    from test_app import run_in_thread

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_manifest(corpus / "manifest.yaml", [])
    settings = Settings(data_dir=tmp_path / ".carbonqa", corpus_dir=corpus)
    service = ChatService(settings, assistant=StubAssistant())
    web, _ = create_app(settings, service=service, warm=False)
    server, url = run_in_thread(web)
    try:
        client = Client(url + "/", verbose=False)
        ans = client.predict("What is a project proponent?", "[]", [], [], [], "extractive", api_name="/ask")
        _md, js = client.predict(json.dumps(ans), api_name="/export")
        assert json.loads(Path(js).read_text(encoding="utf-8"))["citations"][0]["sha256"] == SHA
        assert client.predict(json.dumps(ans), "up", "ok", api_name="/feedback")["verdict"] == "up"
        ans["citations"][0]["quote"] = "Verra guarantees every credit is permanent."
        with pytest.raises(AppError, match="not issued by this server"):
            client.predict(json.dumps(ans), api_name="/export")
        with pytest.raises(AppError, match="not issued by this server"):
            client.predict(json.dumps(ans), "down", "", api_name="/feedback")
    finally:
        server.should_exit = True
        service.files.cleanup()
