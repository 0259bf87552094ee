"""The compliance tabs through the app's API: definitions side by side, comparisons, escaping."""
from __future__ import annotations

from assistant.ui.tools import comparison_html, definitions_html
from assistant.compliance.compare import Cell, Comparison
from test_app import app_settings, client, served  # noqa: F401  (session fixtures)

VERRA_DEFS = "verra-vcs-program-definitions-v4.5-2024"
CDM_GLOSSARY = "cdm-glossary-of-terms-v11.0-2022"


def test_define_tab_shows_both_instruments_and_flags_difference(client):
    """'validation' is defined differently by the CDM glossary and Verra's definitions."""
    html = client.predict("validation", [CDM_GLOSSARY, VERRA_DEFS], api_name="/define")
    assert "DIFFERS" in html
    assert "page 22" in html and "page 25" in html


def test_define_tab_unknown_term_suggests_nearest(client):
    """A misspelt term gets 'no definition' and the nearest known terms."""
    html = client.predict("validaton", [], api_name="/define")
    assert "No definition found" in html and "validation" in html


def test_compare_tab_has_explicit_gap_cell(client):
    """A document silent on the topic gets the explicit 'no corresponding provision' cell."""
    html, md, csv = client.predict(
        "grid emission factor", ["cdm-tool07-grid-emission-factor-v07.0-2018", "verra-vcs-program-guide-v4.4-2023"],
        api_name="/compare",
    )
    assert "no corresponding provision found" in html
    assert md and csv


def test_tool_html_escapes_document_text():
    """Definitions and comparison cells never inject markup from a PDF."""
    evil = "<img src=x onerror=alert(1)>"
    res = {"term": evil, "expands_to": "", "differs": False, "nearest": [], "definitions": [
        {"title": evil, "doc_id": "d", "page": 1, "section": evil, "term": evil, "definition": evil}]}
    assert "<img" not in definitions_html(res)
    cmp = Comparison("t", ["d"], [evil], [[Cell("d", evil, 1, evil, 0.9)]], 0.2)
    assert "<img" not in comparison_html(cmp)
