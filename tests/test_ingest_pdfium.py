"""The PDFium extractor against pypdf: same text and page labels, and pypdf still names what PDFium rejects."""
from __future__ import annotations

import pytest
from pypdf import PdfReader, PdfWriter

from helpers_pdf import make_rules_pdf
from ingest.errors import DocumentError
from ingest.pdf import _extract_pypdf, extract_raw


def _labelled(path):
    """The rules PDF with declared /PageLabels: i, ii, then 1, 2."""
    src = make_rules_pdf(path.with_name("plain.pdf"), tag="L")
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.set_page_label(0, 1, style="/r")
    writer.set_page_label(2, 3, style="/D", start=1)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def test_declared_page_labels_match_pypdf(tmp_path):
    """Printed labels come from the PDF's /PageLabels, exactly as pypdf reads them."""
    path = _labelled(tmp_path / "labelled.pdf")
    _, labels = extract_raw(path)
    assert labels == ["i", "ii", "1", "2"]
    assert labels == _extract_pypdf(path)[1]


def test_text_matches_pypdf_up_to_whitespace(tmp_path):
    """Same words per page as pypdf, and a line-break hyphen kept as '-' plus a line break."""
    path = make_rules_pdf(tmp_path / "rules.pdf", tag="A", first_label=5)
    ours, _ = extract_raw(path)
    ref, _ = _extract_pypdf(path)
    assert [" ".join(t.split()) for t in ours] == [" ".join(t.split()) for t in ref]
    assert "regis-\ntration" in ours[0] and "\r" not in ours[0]


def test_cut_off_pdf_is_not_repaired_into_a_partial_document(tmp_path):
    """PDFium would rebuild a truncated file; without its end marker the file is refused."""
    path = make_rules_pdf(tmp_path / "rules.pdf", tag="A")
    data = path.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: int(len(data) * 0.9)])
    with pytest.raises(DocumentError, match="corrupt or truncated PDF"):
        extract_raw(cut)
