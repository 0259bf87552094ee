"""Structure: headings and numbered provisions become section paths like `3 X > 3.11 Y > 3.11.2`."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Section

_NUM = re.compile(r"^(\d{1,2}(?:\.\d{1,3}){0,4})\.?\s*\|?\s+(\S.*)$")
_MARKER = re.compile(r"^\(?[a-z]{1,2}\)\s+")
_KEYWORD = re.compile(
    r"^(ARTICLE|Article|SECTION|Section|CHAPTER|Chapter|PART|Part|ANNEX|Annex|APPENDIX|Appendix|"
    r"SCHEDULE|Schedule)\s+([0-9]{1,3}|[IVXLC]{1,6}|[A-Z])\b[.:\-–—]?\s*(.{0,90})$"
)
_ROMAN = re.compile(r"^([IVX]{1,5}|[A-H])\.\s+(\S.*)$")
_TOC_LINE = re.compile(r"(\.{4,}|…{2,}|\s\d{1,3}$)")
_MODAL = re.compile(r"\b(shall|must|should)\b", re.I)
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’\-]*")


@dataclass
class _Heading:
    """A detected heading before it is placed in the path."""

    depth: int
    label: str
    number: tuple[int, ...] | None
    drawn: bool = False  # its number is an image in the PDF (SectionTracker.numbered)


def _is_toc_page(lines: list[str]) -> bool:
    """A table of contents lists many headings with page numbers; its lines are not headings."""
    hits = sum(1 for line in lines if _TOC_LINE.search(line) and (_NUM.match(line) or _KEYWORD.match(line)))
    head = " ".join(lines[:12]).lower()
    return hits >= 5 or (hits >= 2 and ("table of contents" in head or "contents" in [x.strip().lower() for x in lines[:12]]))


def _title_like(text: str) -> bool:
    """Short, starts with a capital, not a sentence: a heading title."""
    words = text.split()
    if not words or len(words) > 14 or len(text) > 100:
        return False
    if text[-1] in ".,;:" or not (text[0].isupper() or text[0] in "(“\""):
        return False
    if re.search(r"[,:;]\s+[a-z]", text):
        return False
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    if long_words and sum(w[0].isupper() for w in long_words) / len(long_words) < 0.5:
        return False
    return sum(ch.isdigit() for ch in text) <= 4


def _caps_heading(line: str) -> bool:
    """An unnumbered heading set in capitals, e.g. PRESENT STATUS OF INDIA'S CLIMATE ACTION."""
    words = _WORDS.findall(line)
    letters = [c for c in line if c.isalpha()]
    plain = sum(c.isalpha() or c in " ’'&,:-–()" for c in line) / max(1, len(line))
    return (
        2 <= len(words) <= 12 and len(line) <= 90 and len(letters) >= 8 and plain > 0.9
        and sum(c.isupper() for c in letters) / len(letters) > 0.9 and not line.endswith(".")
    )


def classify(line: str) -> _Heading | None:
    """Decide whether one line opens a section, and at which depth."""
    m = _KEYWORD.match(line)
    if m and not line.endswith(".") and (not m.group(3) or _title_like(m.group(3).lstrip("-–— "))):
        label = f"{m.group(1).title()} {m.group(2)}" + (f" {m.group(3).strip()}" if m.group(3) else "")
        return _Heading(1, label, None)
    m = _ROMAN.match(line)
    if m and _title_like(m.group(2)):
        depth = 2 if len(m.group(1)) == 1 and m.group(1) not in "IVX" else 1
        return _Heading(depth, f"{m.group(1)}. {m.group(2)}", None)
    m = _NUM.match(line)
    if m:
        number = tuple(int(x) for x in m.group(1).split("."))
        if number[0] == 0 or number[0] > 40:
            return None
        rest = m.group(2).strip()
        if len(number) == 1 and len(rest.split()) > 9:
            return None
        # A footnote at a page's foot ('5 Methodologies shall set out the') is not chapter 5.
        if _title_like(rest) and not rest[0].isdigit() and not _MODAL.search(rest):
            return _Heading(len(number), f"{m.group(1)} {rest}", number)
        if len(number) >= 2 and rest[:1].isupper() and len(rest.split()) > 3:
            return _Heading(len(number), m.group(1), number)  # a numbered provision
        return None
    if _caps_heading(line):
        return _Heading(2 if _MARKER.match(line) else 1, line.strip(), None)
    return None


def _plain_heading(line: str, prev: str) -> bool:
    """A short Title Case line after a finished paragraph, in documents without numbering."""
    words = line.split()
    return (
        1 < len(words) <= 8 and _title_like(line) and (not prev or prev[-1] in ".:")
        and not any(ch.isdigit() for ch in line)
    )


class SectionTracker:
    """Keeps the current section path while lines are read in document order."""

    def __init__(self) -> None:
        self.stack: list[_Heading] = []
        self.last_caps = False

    def _plausible(self, h: _Heading) -> bool:
        """Reject numbers that do not fit the current outline (table values, list items)."""
        if h.number is None:
            numbered_top = any(x.number and len(x.number) == 1 for x in self.stack)
            return not (numbered_top and h.depth == 1 and not _KEYWORD.match(h.label))
        parents = [x for x in self.stack if x.number is not None]
        if not parents:
            return True
        if len(h.number) == 1:
            top = parents[0].number[0]
            return top < h.number[0] <= top + 2
        parent = next((x for x in reversed(parents) if len(x.number) == len(h.number) - 1), None)
        if parent is None:
            # The intermediate heading was missed (or is unnumbered): stay within the chapter.
            same = [x for x in parents if len(x.number) == len(h.number)]
            top = [x for x in parents if len(x.number) == 1]
            return (not same or same[-1].number[:-1] == h.number[:-1]
                    or bool(top and top[-1].number[0] == h.number[0]))
        return parent.number == h.number[:-1]

    def numbered(self, line: str) -> str | None:
        """The path of a provision whose number the PDF drew as an image: the next number under its heading."""
        nums = [x for x in self.stack if x.number is not None and len(x.number) >= 2]
        if not nums or classify(line) is not None or not _prose_like(line):
            return None
        last = nums[-1]
        if len(last.number) > 2 and not last.drawn:
            return None  # the document numbers its provisions in text here: an image is an icon, not a number
        number = last.number[:-1] + (last.number[-1] + 1,) if last.drawn else last.number + (1,)
        h = _Heading(len(number), ".".join(map(str, number)), number, drawn=True)
        self.stack = [x for x in self.stack if x.depth < h.depth] + [h]
        self.last_caps = False
        return " > ".join(x.label for x in self.stack)

    def feed(self, line: str, prev: str = "") -> str | None:
        """Return the new path if `line` opens a section, else None."""
        h = classify(line)
        if h is None and _plain_heading(line, prev) and not any(x.number for x in self.stack):
            h = _Heading(1, line, None)
        if h is None or not self._plausible(h):
            self.last_caps = False
            return None
        caps = h.number is None and _caps_heading(line)
        if caps and self.last_caps and self.stack:
            # A capitals heading wrapped over two lines is one heading.
            self.stack[-1].label += " " + h.label
            return " > ".join(x.label for x in self.stack)
        self.last_caps = caps
        if h.number is None and h.depth == 2 and _MARKER.match(line) and not any(x.number for x in self.stack):
            h.depth = 1
        self.stack = [x for x in self.stack if x.depth < h.depth]
        self.stack.append(h)
        return " > ".join(x.label for x in self.stack)


def toc_pages(page_texts: list[str]) -> set[int]:
    """0-based indexes of table-of-contents pages (kept in the text, left out of chunks)."""
    return {i for i, t in enumerate(page_texts) if _is_toc_page(t.split("\n"))}


def _prose_like(line: str) -> bool:
    """A paragraph's first line (not a flowchart box or a table cell): long, or a short finished sentence."""
    return line[:1].isupper() and (len(line) >= 40 or line.rstrip()[-1:] in ".:")


def find_sections(page_texts: list[str], page_starts: list[int],
                  numbered: list[tuple[int, ...]] | None = None) -> list[Section]:
    """Every heading in the document with its offset in the joined text and its full path.

    `numbered` gives, per page, the offsets of lines whose provision number is an image (ingest.pdf).
    """
    tracker = SectionTracker()
    sections: list[Section] = []
    for k, (text, start) in enumerate(zip(page_texts, page_starts)):
        lines = text.split("\n")
        if _is_toc_page(lines):
            continue
        marked = set(numbered[k]) if numbered and k < len(numbered) else set()
        pos, prev = start, ""
        for line in lines:
            if not line:  # a paragraph break in a text file: no heading, and the heading test keeps its line before
                pos += 1
                continue
            path = tracker.numbered(line.strip()) if pos - start in marked else None
            path = path or tracker.feed(line.strip(), prev)
            prev = line.strip()
            if path:
                sections.append(Section(offset=pos, path=path))
            pos += len(line) + 1
    return sections
