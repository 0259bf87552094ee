"""Clean-up that keeps quotes checkable: running headers/footers out, hyphens joined, spaces tidied."""
from __future__ import annotations

import re
from collections import Counter

from ingest.models import Page
from ingest.pdf import NUMBERED

EDGE_LINES = 3
_DIGITS = re.compile(r"\d+")
_HYPHEN_BREAK = re.compile(r"(\w+)-\n(\w+)")
_PAGE_NO = re.compile(r"^(?:page\s+)?(\d{1,4})(?:\s+of\s+\d+)?$", re.I)


def _norm(line: str) -> str:
    """Key for spotting repeated edge lines: digits folded, spaces collapsed."""
    return _DIGITS.sub("#", " ".join(line.split()))


def _tidy(text: str, paragraphs: bool = False) -> list[str]:
    """Lines with inner space runs collapsed and no trailing spaces; blank lines dropped.

    With `paragraphs` (a text file) blank lines stay: there a blank line is the only mark of a paragraph
    end, and a web banner ("CLIMATE CHANGE") has no full stop to end it. `clean_pages` collapses them.
    """
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    return lines if paragraphs else [line for line in lines if line]


def repeated_edge_lines(pages: list[list[str]]) -> set[str]:
    """Normalised lines that recur at the top or bottom of many pages (headers, footers)."""
    if len(pages) < 4:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = {_norm(x) for x in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}
        counts.update(edges)
    floor = max(3, int(0.15 * len(pages)))
    return {k for k, c in counts.items() if c >= floor and len(k) < 120}


def detect_labels(pages: list[list[str]]) -> list[str]:
    """Printed page numbers read from edge lines when they run in step with the physical page."""
    offsets: Counter[int] = Counter()
    found: list[dict[int, int]] = []
    for i, lines in enumerate(pages):
        cands = {}
        for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]:
            m = _PAGE_NO.match(line.strip())
            if m:
                cands[int(m.group(1)) - (i + 1)] = int(m.group(1))
        found.append(cands)
        offsets.update(cands.keys())
    if not offsets:
        return [""] * len(pages)
    best, hits = offsets.most_common(1)[0]
    if hits < max(2, len(pages) // 2):
        return [""] * len(pages)
    return [str(c[best]) if best in c else "" for c in found]


def _dehyphenate(text: str, vocab: set[str]) -> str:
    """Join words split over a line break; keep the hyphen where the document spells it so."""
    def join(m: re.Match) -> str:
        """One hyphen break, joined or kept."""
        a, b = m.group(1), m.group(2)
        if f"{a}-{b}".lower() in vocab or (b[:1].isupper()):
            return f"{a}-{b}"
        return a + b
    return _HYPHEN_BREAK.sub(join, text)


def clean_pages(raw: list[str], labels: list[str], paragraphs: bool = False) -> list[Page]:
    """Turn raw page texts into cleaned Pages, 1-based, with labels where known.

    `paragraphs` keeps a blank line between paragraphs (text files; see _tidy).
    """
    split = [_tidy(t, paragraphs) for t in raw]
    solid = [[line for line in lines if line] for lines in split]
    drop = repeated_edge_lines(solid)
    printed = detect_labels(solid)
    vocab = {w.lower() for t in raw for w in re.findall(r"\w+-\w+", t)}
    pages = []
    for i, lines in enumerate(split):
        n, j, kept = len(solid[i]), 0, []
        for line in lines:
            edge = bool(line) and (j < EDGE_LINES or j >= n - EDGE_LINES) and _norm(line) in drop
            j += bool(line)
            if not edge and (line or (kept and kept[-1])):  # one blank line per paragraph break, none leading
                kept.append(line)
        kept = kept[:-1] if kept and not kept[-1] else kept
        text = _dehyphenate("\n".join(kept), vocab)
        label = labels[i] if i < len(labels) and labels[i] else printed[i]
        marks = tuple(m.start() - k for k, m in enumerate(re.finditer(NUMBERED, text)))
        pages.append(Page(number=i + 1, text=text.replace(NUMBERED, ""), label=label, numbered=marks))
    return pages


def normalise_ws(text: str) -> str:
    """Collapse all whitespace to single spaces; the form quotes are checked in."""
    return " ".join(text.split())
