"""A PDF full of markup, ingested into a tmp index, must render as text in every UI fragment."""
from __future__ import annotations

import pytest
import yaml

from assistant.ui import render

EVIL = [
    'The carbon widget registry fee is 42 dollars per widget <script>alert("xss")</script> payable on listing.',
    "Widget credits expire after seven years <img src=x onerror=alert(1)> unless they are renewed by the registry.",
    "A widget verifier must visit the site every two years ${alert(2)} and report *all* findings [here](javascript:x).",
]
EVIL_TITLE = "Widget Rules <img src=x onerror=alert(3)>"


def _pdf(path) -> None:
    """Write the PDF with canvas.drawString, which puts the markup on the page as literal characters."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(60, 780, "1. Widget registry <b>rules</b>")
    c.setFont("Helvetica", 9)
    y = 750
    for line in EVIL * 3:
        c.drawString(60, y, line)
        y -= 18
    c.showPage()
    c.save()


@pytest.fixture(scope="module")
def evil_service(tmp_path_factory):
    """A ChatService over an index of just the markup-laden PDF."""
    from assistant.ui.app import ChatService
    from ingest.pipeline import ingest
    from ingest.settings import get_settings

    root = tmp_path_factory.mktemp("evil")
    corpus = root / "corpus"
    corpus.mkdir()
    _pdf(corpus / "evil.pdf")
    (corpus / "manifest.yaml").write_text(yaml.safe_dump({"documents": [{
        "id": "evil-widget-rules", "title": EVIL_TITLE, "issuer": "Test <script>issuer</script>",
        "category": "report", "jurisdictions": ["international"], "version": "1 <b>beta</b>", "file": "evil.pdf",
    }]}), encoding="utf-8")
    settings = get_settings(data_dir=root / "data", corpus_dir=corpus, manifest=corpus / "manifest.yaml")
    report = ingest(settings)
    assert not report.failed, [r.error for r in report.failed]
    service = ChatService(settings)
    service.warm_up()
    return service


@pytest.mark.slow
def test_markup_in_pdf_renders_as_text(evil_service):
    ans = evil_service.ask("What is the carbon widget registry fee?", [])
    assert not ans["abstained"] and ans["citations"], ans["answer"]
    assert any("<script>" in p["text"] or "<img" in p["text"] for p in ans["passages"]), "markup survived ingest"
    sources = render.sources_html(ans, evil_service.servable(), evil_service.titles())
    bubble = render.answer_message(ans)
    streamed = render.answer_message(ans, partial=ans["answer"])
    for html in (sources, bubble, streamed):
        assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in sources or "&lt;img" in sources
    assert "&lt;img src=x onerror=alert(3)&gt;" in sources  # the title
    assert "<mark>" in sources and "/pdf/evil-widget-rules#page=1" in sources


@pytest.mark.slow
def test_abstention_and_corpus_tab_escape_titles(evil_service):
    from ingest.status import corpus_rows

    # The test is about escaping an abstention's titles, so force the abstention.
    a = evil_service.assistant
    a.settings = a.settings.model_copy(update={"abstain_threshold": 1.0})
    ans = evil_service.ask("What is the penalty per tonne under India's CCTS compliance procedure?", [])
    assert ans["abstained"]
    html = render.sources_html(ans, evil_service.servable(), evil_service.titles())
    assert "Not in the corpus" in html and "<img" not in html and "&lt;img" in html
    table = render.corpus_html(corpus_rows(evil_service.settings))
    assert "<img" not in table and "&lt;img src=x onerror=alert(3)&gt;" in table and "<b>beta" not in table
