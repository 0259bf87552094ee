"""Fast checks of the chat UI's pieces: escaping and highlighting, login parsing."""
from __future__ import annotations

import pytest

from assistant.ui import render
from assistant.cli.chat import is_loopback, parse_auth
from ingest.errors import CarbonQAError


def test_parse_auth_and_loopback():
    """Logins parse from --auth and CARBONQA_AUTH; loopback hosts are recognised."""
    assert parse_auth(["a:b"], "c:d:e, f:g") == [("a", "b"), ("c", "d:e"), ("f", "g")]
    assert parse_auth([], None) == []
    with pytest.raises(CarbonQAError, match="user:password"):
        parse_auth(["nopassword"])
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


def test_source_card_escapes_and_highlights():
    """A card escapes every field and marks the quote inside its escaped passage."""
    passage = {"id": "p1", "text": "Before <b>bold</b> the quote & <script>alert(1)</script> after."}
    cit = {"n": 1, "doc_id": "d<1>", "title": "T <img src=x onerror=alert(1)>", "page": 5, "page_label": "iii",
           "section": "2 <i>Scope</i>", "quote": "the quote & <script>alert(1)</script>", "score": 0.5,
           "version": "1.0", "passage_id": "p1"}
    html = render.source_card(cit, passage, servable=True)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "<mark>the quote &amp; &lt;script&gt;alert(1)&lt;/script&gt;</mark>" in html
    assert "Before &lt;b&gt;bold&lt;/b&gt; " in html
    assert "page 5 (printed iii)" in html and "/pdf/d%3C1%3E#page=5" in html


def test_markdown_bubble_escapes_markup():
    """The chat bubble shows HTML and Markdown syntax as literal text."""
    text = render.md_text("<img src=x onerror=alert(1)> *not italic* [link](javascript:x) # not a heading")
    assert "<img" not in text and "&lt;img" in text
    assert "\\*not italic\\*" in text and "\\[link\\]\\(javascript:x\\)" in text


def test_abstention_panel_lists_searched_documents():
    """The 'not in the corpus' state says so, shows the nearest passages and lists what was searched."""
    ans = {"abstained": True, "citations": [{"n": 1, "doc_id": "a", "title": "Doc A", "page": 2, "page_label": "2",
                                             "section": "", "quote": "near miss", "score": 0.1, "passage_id": "x"}],
           "passages": [], "filters": {"categories": ["ccts"]}, "searched_documents": ["a", "b"]}
    html = render.sources_html(ans, servable={"a"}, titles={"a": "Doc A", "b": "Doc <B>"})
    assert "Not in the corpus" in html and "Nearest passages" in html and "Documents searched (2)" in html
    assert "Doc &lt;B&gt;" in html and "Filters applied: category: ccts" in html
    assert "/pdf/a#page=2" in html


def test_unservable_document_has_no_link():
    """A cited document the /pdf route will not serve (ad-hoc, not in the manifest) gets no link."""
    c = {"n": 1, "doc_id": "adhoc", "title": "Mine", "page": 1, "page_label": "", "section": "", "quote": "q",
         "score": 0.2}
    assert "href" not in render.source_card(c, None, servable=False)


def test_evidence_markdown_and_feedback_row(tmp_path):
    """The pack's Markdown carries question, quote, sha256 and digest; feedback rows append as JSON lines."""
    import json

    from assistant.ui.evidence import evidence_pack, pack_markdown
    from assistant.ui.feedback import append_feedback
    from ingest.settings import Settings

    settings = Settings(data_dir=tmp_path)
    ans = {"question": "Q?", "answer": "A. [1]", "abstained": False, "settings_digest": "abc123",
           "answerer": "extractive", "citations": [{"n": 1, "doc_id": "d", "title": "T", "version": "2", "page": 3,
                                                    "page_label": "iii", "section": "S", "quote": "A.", "score": 0.9}]}
    pack = evidence_pack(ans, {"d": "f" * 64}, settings)
    md = pack_markdown(pack)
    assert "Q?" in md and "> A." in md and "f" * 64 in md and "abc123" in md and "page: 3 (printed iii)" in md
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, settings, ans, "up", " good ")
    append_feedback(path, settings, ans, "down")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["verdict"] for r in rows] == ["up", "down"] and rows[0]["comment"] == "good"
    with pytest.raises(ValueError):
        append_feedback(path, settings, ans, "sideways")


def test_chat_command_errors_before_starting():
    """`carbonqa chat` refuses a malformed login and a missing index with one clear line, exit code 2."""
    from typer.testing import CliRunner

    from assistant.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["chat", "--auth", "nopassword"])
    assert bad.exit_code == 2 and "user:password" in bad.output
    missing = runner.invoke(app, ["chat"])  # conftest points CARBONQA_DATA_DIR at an empty temp dir
    assert missing.exit_code == 2 and "carbonqa ingest" in missing.output


def test_markdown_bubble_keeps_leading_numbers_and_dashes_literal():
    """A quote starting '10.4.2 |' or '- ' is not turned into a list, and no stray backslash shows."""
    assert render.md_text("10.4.2 | The project") == "10\\.4.2 \\| The project"
    assert render.md_text("- Japan's NDC") == "\\- Japan&#x27;s NDC"
    assert render.md_text("> quoted") == "&gt; quoted"


def test_abstention_bubble_is_short_and_points_to_sources():
    """The chat bubble of an abstention says 'Not in the corpus' without repeating every searched title."""
    ans = {"abstained": True, "answer": "The corpus does not answer this question. Searched 2: A, B.",
           "citations": [{"n": 1}], "searched_documents": ["a", "b"], "answerer": "extractive",
           "timings": {"total_ms": 12}, "filters": {}, "question": "q", "standalone_question": "q"}
    bubble = render.answer_message(ans)
    assert bubble.startswith("**Not in the corpus.**") and "2 searched document(s)" in bubble
    assert "Sources panel" in bubble and "Searched 2: A, B" not in bubble
