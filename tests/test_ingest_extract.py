"""Extraction, clean-up and section detection on small generated PDFs."""
from __future__ import annotations

import pytest

from helpers_pdf import (
    DEFINITION, HEADER, make_corrupt_pdf, make_encrypted_pdf, make_image_only_pdf, make_rules_pdf,
    make_truncated_pdf, make_zero_page_pdf,
)
from ingest.clean import clean_pages, detect_labels, repeated_edge_lines
from ingest.errors import DocumentError
from ingest.models import DocText
from ingest.pdf import NO_TEXT, extract_raw
from ingest.structure import classify, find_sections


@pytest.fixture
def rules_pdf(tmp_path):
    return make_rules_pdf(tmp_path / "rules.pdf", tag="A", first_label=5)


@pytest.fixture
def cleaned(rules_pdf):
    raw, labels = extract_raw(rules_pdf)
    return DocText(clean_pages(raw, labels))


def test_extract_gives_one_text_per_page(rules_pdf):
    raw, labels = extract_raw(rules_pdf)
    assert len(raw) == 4 and len(labels) == 4
    assert "1 Introduction" in raw[0] and "2 Definitions" in raw[1]
    assert all(HEADER in t for t in raw), "raw text still has the running header"
    assert labels == ["", "", "", ""], "the generated PDF declares no /PageLabels"


def test_extract_text_file_splits_on_form_feeds(tmp_path):
    f = tmp_path / "note.txt"
    f.write_text("first page\fsecond page", encoding="utf-8")
    raw, labels = extract_raw(f)
    assert raw == ["first page", "second page"] and labels == ["", ""]


def test_cleanup_drops_headers_and_footers(cleaned):
    for page in cleaned.pages:
        assert HEADER not in page.text
        assert "Page " not in page.text and " of 8" not in page.text
    assert cleaned.pages[0].text.startswith("1 Introduction")


def test_cleanup_joins_hyphenated_words_and_keeps_real_hyphens(cleaned):
    assert "registration of projects" in cleaned.pages[0].text
    assert "regis-" not in cleaned.pages[0].text
    # "host-country" is spelt with a hyphen elsewhere in the document, so the hyphen stays.
    assert "The host-country letter" in cleaned.pages[1].text


def test_cleanup_reads_printed_page_labels(cleaned):
    assert [p.number for p in cleaned.pages] == [1, 2, 3, 4]
    assert [p.label for p in cleaned.pages] == ["5", "6", "7", "8"]


def test_cleanup_keeps_body_text_verbatim(cleaned):
    assert DEFINITION in cleaned.pages[1].text


def test_repeated_edge_lines_need_enough_pages():
    pages = [["Header", f"body {i}", "Footer 1"] for i in range(3)]
    assert repeated_edge_lines(pages) == set(), "three pages are too few to call a line a header"
    pages = [["Header", f"body {chr(97 + i)}", f"Footer {i}"] for i in range(6)]
    assert repeated_edge_lines(pages) == {"Header", "Footer #"}


def test_detect_labels_needs_numbers_in_step():
    in_step = [["x", f"{i + 10}"] for i in range(6)]
    assert detect_labels(in_step) == [str(i + 10) for i in range(6)]
    random_numbers = [["x", n] for n in ("3", "17", "4", "99", "1", "50")]
    assert detect_labels(random_numbers) == [""] * 6


def test_sections_have_full_paths(cleaned):
    sections = find_sections([p.text for p in cleaned.pages], cleaned.page_starts())
    paths = [s.path for s in sections]
    assert paths == [
        "1 Introduction",
        "2 Definitions",
        "3 Requirements",
        "3 Requirements > 3.1 General Requirements",
        "3 Requirements > 3.1 General Requirements > 3.1.1",
        "3 Requirements > 3.1 General Requirements > 3.1.2",
        "3 Requirements > 3.2 Monitoring",
    ]
    text = cleaned.text
    for s in sections:
        label = s.path.rsplit(" > ", 1)[-1]
        assert text[s.offset:].startswith(label), f"offset of {s.path!r} does not point at its heading"


@pytest.mark.parametrize("line, expected", [
    ("3.1 General Requirements", "3.1 General Requirements"),
    ("3.1.1 The project proponent shall demonstrate additionality.", "3.1.1"),
    ("ANNEX 2 Glossary", "Annex 2 Glossary"),
    ("The project shall be validated.", None),
    ("2023 was a year of record issuance.", None),
])
def test_classify_heading_lines(line, expected):
    h = classify(line)
    assert (h.label if h else None) == expected


@pytest.mark.parametrize("maker, reason", [
    (make_image_only_pdf, NO_TEXT),
    (make_encrypted_pdf, "encrypted PDF"),
    (make_zero_page_pdf, "zero pages"),
    (make_corrupt_pdf, "corrupt or truncated PDF"),
])
def test_bad_pdfs_raise_one_named_error(tmp_path, maker, reason):
    path = maker(tmp_path / "bad.pdf")
    with pytest.raises(DocumentError) as exc:
        extract_raw(path)
    assert reason in exc.value.reason
    assert str(path) in str(exc.value)


def test_truncated_pdf_is_named(tmp_path, rules_pdf):
    path = make_truncated_pdf(tmp_path / "cut.pdf", rules_pdf, keep=0.5)
    with pytest.raises(DocumentError, match="corrupt or truncated PDF") as exc:
        extract_raw(path)
    assert exc.value.file == str(path)


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(DocumentError, match="0 bytes"):
        extract_raw(empty)
    with pytest.raises(DocumentError, match="file not found"):
        extract_raw(tmp_path / "nope.pdf")


def _sections_of(pdf):
    raw, labels = extract_raw(pdf)
    doc = DocText(clean_pages(raw, labels))
    found = find_sections([p.text for p in doc.pages], doc.page_starts(), [p.numbered for p in doc.pages])
    return doc, {s.path.rsplit(" > ", 1)[-1]: doc.text[s.offset: s.offset + 30] for s in found}, found


def test_provision_numbers_drawn_as_images_become_sections(tmp_path):
    from helpers_pdf import make_drawn_numbers_pdf

    doc, by_label, found = _sections_of(make_drawn_numbers_pdf(tmp_path / "drawn.pdf"))
    assert "\ue000" not in doc.text, "the line mark must not reach the stored text"
    assert by_label["3.3.1"].startswith("Methodologies shall establish")
    assert by_label["3.3.2"].startswith("Specific carbon pools may")
    # the footnote neither opens chapter 5 nor stops the count under 3.3
    assert by_label["3.3.3"].startswith("Reductions of CH4")
    assert [s.path for s in found][-1] == "3 Methodology Components > 3.3 Project Boundary > 3.3.3"
    assert "3.3.4" not in by_label, "a short flowchart line beside an image is not a provision"


def test_an_icon_beside_a_subheading_is_not_a_number_where_the_text_numbers_provisions(tmp_path):
    from helpers_pdf import make_drawn_numbers_pdf

    _doc, by_label, found = _sections_of(make_drawn_numbers_pdf(tmp_path / "icon.pdf", textual_icon=True))
    assert sorted(k for k in by_label if k.startswith("3.3.")) == ["3.3.1", "3.3.2"]
    assert by_label["3.3.2"].startswith("3.3.2 Methodologies shall")


def test_a_footnote_with_a_modal_is_not_a_numbered_heading():
    assert classify("5 Methodologies shall set out the") is None
    assert classify("5 Monitoring Requirements") is not None
