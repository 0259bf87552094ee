"""Extraction: a PDF or text file becomes raw page texts, with every failure named."""
from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ingest.errors import DocumentError
from ingest.manifest import TEXT_SUFFIXES

# pypdf and fontTools log harmless font warnings on some of the bundled PDFs.
logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

NO_TEXT = "no text layer — needs OCR"


def extract_raw(path: Path) -> tuple[list[str], list[str]]:
    """Return (page texts, printed page labels or '' when the PDF declares none)."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(str(path), "file not found")
    if path.suffix.lower() in TEXT_SUFFIXES:
        return _extract_text_file(path)
    if path.stat().st_size == 0:
        raise DocumentError(str(path), "empty file (0 bytes)")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(str(path), "encrypted PDF — needs a password")
        n = len(reader.pages)
        if n == 0:
            raise DocumentError(str(path), "PDF has zero pages")
        texts = [(page.extract_text() or "") for page in reader.pages]
        has_labels = "/PageLabels" in reader.trailer["/Root"]
        labels = list(reader.page_labels) if has_labels else [""] * n
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise DocumentError(str(path), f"corrupt or truncated PDF ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many types on damaged files; all mean unreadable
        raise DocumentError(str(path), f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    if not any(t.strip() for t in texts):
        raise DocumentError(str(path), NO_TEXT)
    return texts, labels


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
