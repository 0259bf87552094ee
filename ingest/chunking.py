"""Chunking: sentences packed into token-bounded chunks that respect sections and pages."""
from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from pathlib import Path

from ingest.models import Chunk, DocText, Section

# Words after which a full stop does not end a sentence; the LLM answer splitter uses the same list.
ABBREVIATIONS = frozenset({
    "e.g", "i.e", "etc", "no", "nos", "para", "paras", "art", "fig", "vol", "p", "pp", "cf", "vs",
    "dr", "mr", "ms", "st", "inc", "ltd", "co", "sec", "ch", "approx", "incl", "rev", "ver", "al",
})
_END = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“(\[]?[A-Z0-9•●▪])")
_BREAK_LINE = re.compile(r"\n(?=\s*(?:[•●▪■◦\-–]\s|\(?[a-z]{1,3}\)\s|\(?[ivx]{1,4}\)\s|\d{1,2}(?:\.\d{1,3})*\.?(?:\s*\|\s*|\s+)[A-Z]))")
_CLAUSE_END = re.compile(r"[:;]\n")
_PARAGRAPH = re.compile(r"\n\n")  # only a text file keeps a blank line (clean._tidy)
# A line ending in one of these runs on into the next: the next line is not a term or heading.
_RUNS_ON = (",", "-", "&", " and", " or", " of", " the", " a", " an", " to", " in", " for", " by", " with", " on",
            " at", " as", " from")
_CLAUSE_COMMA = re.compile(r",\s+(?!and\b|or\b)[a-z]")
_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,3})*\.?|[A-Z]\.|[IVX]{1,4}\.)\s+")
MAX_SENTENCE_TOKENS = 120


def title_line(line: str) -> bool:
    """A short Title-case line with no end punctuation: a glossary term or a heading on its own line."""
    words = line.split()
    if not words or len(words) > 8 or len(line) > 70 or line[-1] in ".,;:" or not line[0].isupper():
        return False
    if sum(c.isdigit() for c in line) > 3:
        return False
    long_words = [w for w in words if len(w) > 3 and w[0].isalpha()]
    return not long_words or sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.75


def _term_line(line: str) -> bool:
    """A title line that also ends like a term: a capitalised last word, no clause inside ("…, then the")."""
    last = line.split()[-1] if line.split() else ""
    return (title_line(line) and ";" not in line and not line.endswith(_RUNS_ON)
            and (last[:1].isupper() or last[:1] in "(" or last[:1].isdigit())
            and not _CLAUSE_COMMA.search(line) and line.count(")") <= line.count("("))


_ACRONYM_ROW = re.compile(r"^(?=\S*[A-Z]\S*[A-Z])[A-Z0-9][A-Za-z0-9/\-+*]*\s+\S")
ACRONYM_RUN = 4


def _acronym_rows(lines: list[str], offsets: list[int]) -> list[int]:
    """Offsets of the rows of an acronym list ("CDM-AP CDM Accreditation Panel", one per line).

    Such a list has no full stop, so it read as one "sentence" of a hundred words that shares
    a word with almost any question. Only a run of ACRONYM_RUN rows counts: two wrapped prose
    lines that happen to start with "CDM" and "GHG" are no list.
    """
    out: list[int] = []
    run: list[int] = []
    for i, raw in enumerate(lines + [""]):
        ln = raw.strip()
        if ln and _ACRONYM_ROW.match(ln) and len(ln) <= 100 and not ln.endswith("."):
            run.append(offsets[i] + len(raw) - len(raw.lstrip()))
        elif ln and run and not ln.endswith(".") and (ln[:1].islower() or len(ln.split()) <= 2):
            continue  # a wrapped row ("the Kyoto Protocol", "Agreement") stays with the row above
        else:
            if len(run) >= ACRONYM_RUN:
                out.extend(run)
            run = []
    return out


def _term_starts(lines: list[str], offsets: list[int]) -> list[int]:
    """Offsets of glossary terms and headings set on their own line between two lines of prose.

    A glossary definition often has no full stop ("… that it generates\nFree, Prior, and Informed
    Consent (FPIC)\nA safeguard …"), so without this cut one "sentence" held two definitions and the
    next term. The term stays with the definition it opens. A wrapped two-line heading is left whole
    (the line before is itself title-like), and so is a line the one before runs on into.
    """
    out = []
    for i in range(1, len(lines) - 1):
        prev, ln, nxt = lines[i - 1].strip(), lines[i].strip(), lines[i + 1].strip()
        prose_before = (prev and not title_line(_NUMBER.sub("", prev)) and prev[-1] not in ".:;"
                        and not prev.endswith(_RUNS_ON) and prev.count("(") <= prev.count(")"))
        prose_after = nxt[:1].isupper() and len(nxt) > 40 and not title_line(nxt)
        if prose_before and prose_after and _term_line(ln):
            out.append(offsets[i] + len(lines[i]) - len(lines[i].lstrip()))
    return out


def _line_starts(text: str) -> list[int]:
    """Where a line, not a full stop, starts a sentence: a term or heading on its own line, an acronym row."""
    lines = text.split("\n")
    offsets = [0]
    for ln in lines[:-1]:
        offsets.append(offsets[-1] + len(ln) + 1)
    return _term_starts(lines, offsets) + _acronym_rows(lines, offsets)


@lru_cache(maxsize=4)
def load_tokenizer(model_dir: str):
    """The embedding model's own fast tokenizer, for exact token counts."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def split_sentences(text: str, page_starts: list[int], section_offsets: list[int]) -> list[tuple[int, int]]:
    """Sentence spans over `text`; they never cross a page or a heading."""
    cuts = {0, len(text)}
    for m in _END.finditer(text):
        prev = re.search(r"(\w+)[.!?][\"”’)\]]*\s*$", text[max(0, m.start() - 12): m.start() + 1])
        if prev and prev.group(1).lower() in ABBREVIATIONS:
            continue
        cuts.add(m.end())
    cuts.update(m.start() + 1 for m in _BREAK_LINE.finditer(text))
    cuts.update(m.end() for m in _CLAUSE_END.finditer(text))
    cuts.update(m.end() for m in _PARAGRAPH.finditer(text))
    cuts.update(_line_starts(text))
    cuts.update(page_starts)
    cuts.update(section_offsets)
    spans = []
    ordered = sorted(cuts)
    for a, b in zip(ordered, ordered[1:]):
        while a < b and text[a].isspace():
            a += 1
        end = b
        while end > a and text[end - 1].isspace():
            end -= 1
        if end > a:
            spans.append((a, end))
    return spans


def sentence_spans(text: str, page_marks: str = "[]", section_marks: str = "[]") -> list[tuple[int, int]]:
    """A chunk's sentence spans from its stored page and heading marks (JSON): ingest and quoting agree."""
    page_offs = [p[0] for p in json.loads(page_marks or "[]")]
    sec_offs = [m[0] for m in json.loads(section_marks or "[]")]
    return split_sentences(text, page_offs, sec_offs)


def _split_long(text: str, span: tuple[int, int], tokenizer, limit: int) -> list[tuple[int, int, int]]:
    """Cut an over-long sentence (often a flattened table) every `limit` tokens."""
    a, b = span
    offsets = [o for o in tokenizer.encode(text[a:b], add_special_tokens=False).offsets if o[1] > o[0]]
    out = []
    for i in range(0, len(offsets), limit):
        part = offsets[i: i + limit]
        out.append((a + part[0][0], a + part[-1][1], len(part)))
    return out


def chunk_document(
    doc: DocText, sections: list[Section], meta: dict, tokenizer, max_tokens: int, overlap: int,
    skip_pages: set[int] = frozenset(),
) -> list[Chunk]:
    """Pack sentences into chunks of at most `max_tokens`, breaking at headings where possible."""
    text = doc.text
    starts = doc.page_starts()
    sec_offsets = [s.offset for s in sections]
    spans = split_sentences(text, starts, sec_offsets)
    if skip_pages:
        # Table-of-contents pages list headings, not provisions: they would only crowd results.
        spans = [sp for sp in spans if (bisect.bisect_right(starts, sp[0]) - 1) not in skip_pages]
    counts = [len(e.ids) for e in tokenizer.encode_batch([text[a:b] for a, b in spans], add_special_tokens=False)]
    units: list[tuple[int, int, int]] = []
    for span, n in zip(spans, counts):
        if n > MAX_SENTENCE_TOKENS:
            units.extend(_split_long(text, span, tokenizer, MAX_SENTENCE_TOKENS))
        else:
            units.append((span[0], span[1], n))
    heading_at = set(sec_offsets)
    skipped_at = sorted(starts[p] for p in skip_pages if p < len(starts))  # a chunk never spans these
    chunks: list[Chunk] = []
    cur: list[tuple[int, int, int]] = []

    def flush() -> None:
        """Close the chunk being built."""
        if cur:
            chunks.append(_make_chunk(doc, starts, sections, sec_offsets, meta, cur[0][0], cur[-1][1]))

    for unit in units:
        size = sum(u[2] for u in cur)
        hard = unit[0] in heading_at and size >= 48 and not _is_provision(sections, sec_offsets, unit[0])
        hard = hard or bool(cur and any(cur[-1][1] <= s < unit[0] for s in skipped_at))
        if cur and (size + unit[2] > max_tokens or hard):
            flush()
            keep: list[tuple[int, int, int]] = []
            if not hard:
                for u in reversed(cur):
                    if sum(k[2] for k in keep) + u[2] > overlap:
                        break
                    keep.insert(0, u)
            cur = keep if len(keep) < len(cur) else []
        cur.append(unit)
    flush()
    return chunks


def _is_provision(sections: list[Section], offsets: list[int], pos: int) -> bool:
    """A numbered provision (label is only a number) is a soft boundary, a heading a hard one."""
    i = bisect.bisect_right(offsets, pos) - 1
    last = sections[i].path.rsplit(" > ", 1)[-1] if i >= 0 else ""
    return bool(re.fullmatch(r"[\d.]+", last))


def section_at(sections: list[Section], offsets: list[int], pos: int) -> str:
    """The section path in force at a character offset."""
    i = bisect.bisect_right(offsets, pos) - 1
    return sections[i].path if i >= 0 else ""


def _make_chunk(doc, starts, sections, sec_offsets, meta, a, b) -> Chunk:
    """Build a Chunk for text[a:b] with its pages, label and section marks."""
    p0 = bisect.bisect_right(starts, a) - 1
    p1 = bisect.bisect_right(starts, b - 1) - 1
    inner = [
        (s.offset - a, s.path) for s in sections if a < s.offset < b
    ]
    pages = [
        [max(0, starts[i] - a), doc.pages[i].number, doc.pages[i].label] for i in range(p0, p1 + 1)
    ]
    return Chunk(
        doc_id=meta["doc_id"], doc_sha256=meta["sha256"], text=doc.text[a:b],
        page_start=doc.pages[p0].number, page_end=doc.pages[p1].number, char_start=a, char_end=b,
        section=section_at(sections, sec_offsets, a), page_label=doc.pages[p0].label,
        title=meta.get("title", ""), category=meta.get("category", ""),
        jurisdictions=list(meta.get("jurisdictions", [])), issuer=meta.get("issuer", ""),
        version=meta.get("version") or "", section_marks=json.dumps(inner), page_marks=json.dumps(pages),
    )
