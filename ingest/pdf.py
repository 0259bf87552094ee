"""Extraction: a PDF or text file becomes raw page texts, with every failure named.

PDFs are read with PDFium (pypdfium2): on the bundled corpus it gives the same text as pypdf
(whitespace aside; better casing and fewer split words on some pages) about 20x faster,
which took extraction from a third of the ingest time to a few per cent.
"""
from __future__ import annotations

from pathlib import Path

from ingest.errors import DocumentError
from ingest.manifest import TEXT_SUFFIXES

NO_TEXT = "no text layer — needs OCR"
# PDFium marks a hyphen at a line break as U+FFFE (U+0002 in bounded text) and drops the break;
# pypdf kept '-' and the break, which is what clean._dehyphenate expects.
_SOFT_HYPHENS = str.maketrans({"\ufffe": "-\n", "\x02": "-\n"})
_TAIL = 2048  # a complete PDF ends with %%EOF within its last bytes (a few trailing bytes are common)
# Some rulebooks (Verra's Methodology Requirements) draw their provision numbers ('3.3.7') as small
# images left of the paragraph, so the text layer has no number. Such a line is prefixed with this
# private-use mark; clean.clean_pages removes it and structure numbers the provision.
NUMBERED = "\ue000"
_NUMBER_IMAGE = ((10.0, 45.0), (4.0, 15.0))  # (width, height) bounds in points of a number drawn as an image


def extract_raw(path: Path) -> tuple[list[str], list[str]]:
    """Return (page texts, printed page labels or '' when the PDF declares none)."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(str(path), "file not found")
    if path.suffix.lower() in TEXT_SUFFIXES:
        return _extract_text_file(path)
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(str(path), "empty file (0 bytes)")
    texts, labels = _extract_pdf(path, size)
    if not any(t.strip() for t in texts):
        raise DocumentError(str(path), NO_TEXT)
    return texts, labels


def _extract_pdf(path: Path, size: int) -> tuple[list[str], list[str]]:
    """Page texts and labels via PDFium; damaged, encrypted and empty files become DocumentErrors."""
    import pypdfium2 as pdfium

    with open(path, "rb") as fh:
        fh.seek(max(0, size - _TAIL))
        tail = fh.read()
    # PDFium silently repairs a cut-off file and returns what it can; pypdf refused it. A partial
    # document must not be indexed as if it were whole, so a missing end marker is an error.
    if b"%%EOF" not in tail:
        raise DocumentError(str(path), "corrupt or truncated PDF (no %%EOF end marker)")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError:
        # PDFium's load errors are terse and its error code is process-global (it can name an
        # earlier file's problem): pypdf reads what it can and names what it cannot.
        return _extract_pypdf(path)
    try:
        n = len(pdf)
        if n == 0:
            raise DocumentError(str(path), "PDF has zero pages")
        texts = [_page_text(pdf, i) for i in range(n)]
        labels = [pdf.get_page_label(i) or "" for i in range(n)]
    except DocumentError:
        raise
    except Exception as exc:  # PDFium raises on damaged page trees and content streams
        raise DocumentError(str(path), f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    finally:
        pdf.close()
    return texts, labels


def _extract_pypdf(path: Path) -> tuple[list[str], list[str]]:
    """The slower pypdf path, for files PDFium will not open: text where readable, else a named error."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf and fontTools log harmless font warnings on some PDFs.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(str(path), "encrypted PDF — needs a password")
        n = len(reader.pages)
        if n == 0:
            raise DocumentError(str(path), "PDF has zero pages")
        texts = [(page.extract_text() or "") for page in reader.pages]
        labels = list(reader.page_labels) if "/PageLabels" in reader.trailer["/Root"] else [""] * n
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise DocumentError(str(path), f"corrupt or truncated PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many types on damaged files; all mean unreadable
        raise DocumentError(str(path), f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    return texts, labels


def _page_text(pdf, i: int) -> str:
    """One page's text in reading order, with '\\n' line ends and line-break hyphens as '-'."""
    page = pdf[i]
    try:
        textpage = page.get_textpage()
        try:
            # get_text_range, not get_text_bounded: the latter drops text lying outside the
            # page box (seen in figure captions of the economic survey).
            text = textpage.get_text_range()
            images = _number_images(page)
            if images:
                text = _mark_numbered_lines(text, textpage, images)
        finally:
            textpage.close()
    finally:
        page.close()
    return text.replace("\r\n", "\n").translate(_SOFT_HYPHENS)


def _number_images(page) -> list[tuple[float, float, float, float]]:
    """Bounds (left, bottom, right, top) of the page's images small enough to be a drawn provision number."""
    import pypdfium2.raw as pdfium_c

    (wmin, wmax), (hmin, hmax) = _NUMBER_IMAGE
    out = []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=1):
        left, bottom, right, top = obj.get_bounds()
        if wmin <= right - left <= wmax and hmin <= top - bottom <= hmax:
            out.append((left, bottom, right, top))
    return out


def _mark_numbered_lines(text: str, textpage, images: list) -> str:
    """Prefix NUMBERED to each line whose first character sits just right of a number image, on its line."""
    lines = text.split("\r\n")
    pos = 0
    for k, line in enumerate(lines):
        lead = len(line) - len(line.lstrip())
        if line.strip():
            x0, y0, _x1, y1 = textpage.get_charbox(pos + lead)
            mid = (y0 + y1) / 2
            if any(right <= x0 + 1 and x0 - right <= 40 and bottom - 3 <= mid <= top + 3
                   for _left, bottom, right, top in images):
                lines[k] = line[:lead] + NUMBERED + line[lead:]
        pos += len(line) + 2
    return "\r\n".join(lines)


def _extract_text_file(path: Path) -> tuple[list[str], list[str]]:
    """Plain text and Markdown: one page, or one per form feed."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DocumentError(str(path), "text file is not valid UTF-8") from None
    if not raw.strip():
        raise DocumentError(str(path), "text file is empty")
    pages = raw.split("\f")
    return pages, [""] * len(pages)
