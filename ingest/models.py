"""Plain data passed between ingestion stages."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


def embed_text(title: str, section: str, text: str) -> tuple[str, int]:
    """What the embedder sees for a chunk (title > section, then the text) and where the text starts in it."""
    head = " > ".join(p for p in (title, section) if p)
    return (f"{head}\n{text}", len(head) + 1) if head else (text, 0)


@dataclass(frozen=True)
class Page:
    """One physical page of cleaned text (number is 1-based)."""

    number: int
    text: str
    label: str = ""
    numbered: tuple[int, ...] = ()  # offsets of lines whose provision number is drawn as an image (pdf.NUMBERED)


@dataclass(frozen=True)
class Section:
    """A heading found on a page; `path` is the full path from the top level."""

    offset: int
    path: str


@dataclass
class Chunk:
    """A retrievable piece of one document with everything a citation needs."""

    doc_id: str
    doc_sha256: str
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    section: str = ""
    page_label: str = ""
    title: str = ""
    category: str = ""
    jurisdictions: list[str] = field(default_factory=list)
    issuer: str = ""
    version: str = ""
    section_marks: str = "[]"  # JSON [[offset in chunk, section path], ...] for headings inside
    page_marks: str = "[]"  # JSON [[offset in chunk, page number, page label], ...] for page starts

    @property
    def id(self) -> str:
        """Stable id from the document's sha256 and the chunk's offsets."""
        raw = f"{self.doc_sha256}:{self.char_start}:{self.char_end}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def embed_text(self) -> str:
        """Text the embedder sees: title and section give the passage its context."""
        return embed_text(self.title, self.section, self.text)[0]

    def metadata(self) -> dict:
        """Flat metadata for Chroma (lists become |-joined strings)."""
        meta = asdict(self)
        meta.pop("text")
        meta["jurisdictions"] = "|" + "|".join(self.jurisdictions) + "|"
        return meta


@dataclass
class DocText:
    """A whole document after extraction and clean-up."""

    pages: list[Page]

    @property
    def text(self) -> str:
        """All pages joined by a blank line; offsets in chunks refer to this string."""
        return "\n\n".join(p.text for p in self.pages)

    def page_starts(self) -> list[int]:
        """Offset of each page's first character in `text`."""
        starts, pos = [], 0
        for p in self.pages:
            starts.append(pos)
            pos += len(p.text) + 2
        return starts
