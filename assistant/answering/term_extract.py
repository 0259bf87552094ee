"""Defined terms read from a document's text: glossary tables, term columns, "X means …", "X: …" lines."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from assistant.retrieval.views import DocView, doc_views
from ingest.chunking import title_line
from ingest.clean import normalise_ws

# Bumped when extraction finds other definitions, so a cached table of the same index is rebuilt
# (2: term-column glossaries inside rulebooks, `_from_echo`; 3: acronyms whose brackets pypdf lost).
EXTRACTOR = 3
_SENT_TERM = r"[A-Z][A-Za-z0-9/\-’' ()]{1,60}?"
_MEANS = re.compile(
    rf"(?:^|(?<=[.;:,]\s)|(?<=\n))[“\"‘']?(?P<term>{_SENT_TERM})[”\"’']?\s+(?:means|shall mean|refers to|is defined as)\s+"
    r"(?P<defn>[^\n].{10,600}?)(?:\.(?=\s|$)|;\s|\n\s*\n|$)",
    re.S,
)
_COLON = re.compile(r"^(?P<term>[A-Z][A-Za-z0-9/\-’' ()]{1,60}):\s+(?P<defn>\S.{10,})$")
_GLOSSARY_SECTION = re.compile(r"definition|glossary|terms", re.I)
ACR_TAIL = re.compile(r"\s*\(([A-Za-z0-9/\-+ ]{2,60})\)\s*$")
_STARTERS = {"The", "A", "An", "See", "Any", "Each", "For", "In", "Where", "As"}
_CONTINUES = (",", "-", " and", " or", " of", " the", " a", " to", " in")
_TERM_COL = 32  # table glossaries set terms in a narrow column: wrapped term lines are short


@dataclass
class Definition:
    """One defined term in one document, with the verbatim definition and where it is."""

    term: str
    definition: str
    doc_id: str
    title: str
    page: int
    section: str
    kind: str  # table | list | means | colon | acronym
    aliases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def norm_term(term: str) -> str:
    """Lower-case, quote-free, single-spaced form used as a lookup key."""
    t = re.sub(r"[“”\"‘’']", "", term).lower().replace("/", " ")
    return " ".join(re.sub(r"[^a-z0-9/+\- ]", " ", t).split())


def _aliases(term: str) -> tuple[str, list[str]]:
    """'Long Form (ACR)' or 'ACR (Long Form)' → (display term, [both keys])."""
    m = ACR_TAIL.search(term)
    if not m:
        return term, [norm_term(term)]
    head, inner = term[: m.start()].strip(), m.group(1).strip()
    keys = [norm_term(term), norm_term(head), norm_term(inner)]
    return term, [k for i, k in enumerate(keys) if k and k not in keys[:i]]


def _sentence_case_term(line: str, nxt: str) -> bool:
    """'Harvesting activity' over 'The harvest of trees …': a term in sentence case, then a full definition line."""
    words = line.split()
    return (2 <= len(words) <= 3 and words[0][:1].isupper() and all(w.isalpha() and w.islower() for w in words[1:])
            and len(nxt) > 60 and nxt.split(" ", 1)[0] in _OPENERS)


_OPENERS = {"The", "A", "An", "Any", "Each", "All", "In", "For", "Refers", "Means", "Where", "When"}


def _split_inline(line: str) -> int | None:
    """Where a table row's definition starts after its term ('Validation The process …'), or None."""
    depth, pos, cands = 0, 0, []
    for i, w in enumerate(line.split(" ")):
        if pos > _TERM_COL + 2:
            break
        word = w[:1].isupper() and (any(c.islower() for c in w) or w == "A") and not w.endswith(")")
        if i >= 1 and depth == 0 and word:
            cands.append((pos, w))
        depth += w.count("(") - w.count(")")
        pos += len(w) + 1
    starter = [p for p, w in cands if w in _STARTERS]
    return starter[0] if starter else (cands[0][0] if cands and cands[0][1] != "A" else None)


def _lines(view: DocView) -> list[tuple[str, int]]:
    """Each line of the document, stripped, with the offset where it starts."""
    out, pos = [], 0
    for ln in view.text.split("\n"):
        out.append((ln.strip(), pos))
        pos += len(ln) + 1
    return out


def _from_table(view: DocView, header: int, out: list[Definition]) -> None:
    """Two-column 'Term  Definition' tables, where pypdf puts term and definition on one line."""
    term, defn, start, prev_end = [], [], 0, True
    pending = False

    def flush() -> None:
        """Emit the entry read so far."""
        if term and defn:
            t = normalise_ws(" ".join(term))
            _add(out, view, t, " ".join(defn), start, "table")

    for ln, off in _lines(view):
        if off < header or not ln or re.fullmatch(r"(Term\s+Definition|\d+ of \d+)", ln):
            continue
        if pending:
            if term and " ".join(term).count("(") > " ".join(term).count(")"):
                close = ln.find(")")
                term.append(ln[: close + 1] if close >= 0 else ln)
                rest = ln[close + 1:].strip() if close >= 0 else ""
                if rest:
                    defn.append(rest)
                    pending = False
                continue
            if len(ln) <= _TERM_COL and len(ln.split()) <= 5:
                term.append(ln)
                continue
            defn.append(ln)
            pending = False
            prev_end = ln.endswith((".", ">", ")"))
            continue
        cut = _split_inline(ln) if ln[0].isupper() else None
        if prev_end and ln[0].isupper() and (cut is not None or len(ln) <= _TERM_COL):
            flush()
            term, defn, start = [], [], off
            if cut is not None:
                term, defn = [ln[:cut].strip()], [ln[cut:].strip()]
            else:
                term, pending = [ln], True
        elif term:
            defn.append(ln)
        prev_end = ln.endswith((".", ">", ")", "”."))
    flush()


def _from_list(view: DocView, out: list[Definition]) -> None:
    """Glossaries with the term on its own line, the definition on the following lines."""
    lines = _lines(view)
    cur: tuple[str, int] | None = None
    body: list[str] = []
    for i, (ln, off) in enumerate(lines):
        nxt = lines[i + 1][0] if i + 1 < len(lines) else ""
        starts = ((title_line(ln) and nxt and (not title_line(nxt) or nxt.startswith(("See ", "•"))))
                  or _sentence_case_term(ln, nxt))
        if starts and not lines[i - 1][0].endswith(_CONTINUES):
            if cur and body:
                _add(out, view, cur[0], " ".join(body), cur[1], "list")
            cur, body = (ln, off), []
        elif cur and ln:
            body.append(ln)
    if cur and body:
        _add(out, view, cur[0], " ".join(body), cur[1], "list")


_COPULA = re.compile(r"^(?:\([a-z]\)\s*)?(?:(?:The|A|An|All)\s+)?(?P<head>.{2,60}?)\s+"
                     r"(?:is|are|means|refers to|includes)\s", re.I)


def _echo_term(term_lines: list[str], line: str) -> str | None:
    """The term, when a definition line restates it: 'Project / Region' over 'The project region is …'.

    Table glossaries inside rulebooks set the term in a narrow column (even cut mid-word:
    'Smallholde / r') and open the definition with it; that restatement is what marks an entry.
    """
    m = _COPULA.match(line)
    if not m or not term_lines:
        return None
    head = norm_term(m.group("head"))
    for joiner in (" ", ""):  # "Smallholde / r" is one word cut by the column
        term = normalise_ws(re.sub(r"\(.*?\)", " ", joiner.join(term_lines)))  # "(A/R specific)" qualifies it
        t = norm_term(term)
        if t and (head == t or head.rstrip("s") == t.rstrip("s") or head.startswith(t + " ")):
            return term
    return None


def _from_echo(view: DocView, out: list[Definition]) -> None:
    """Term-column glossaries in rulebooks: short term lines, then a definition that restates the term."""
    lines = _lines(view)
    found: list[tuple[str, int, int, int]] = []  # (term, offset, index of its first term line, of its definition)
    for i, (ln, _off) in enumerate(lines):
        for n in (1, 2, 3, 4):
            block = [x for x, _ in lines[max(0, i - n):i]]
            if len(block) < n or not all(0 < len(x) <= _TERM_COL and x[-1] not in ".;:," for x in block):
                break
            if not block[0][:1].isupper():
                continue
            term = _echo_term(block, ln)
            if term:
                found.append((term, lines[i - n][1], i - n, i))
                break
    if len(found) < 3:  # one restated term is prose, not a glossary
        return
    for k, (term, off, _start, first) in enumerate(found):
        end = found[k + 1][2] if k + 1 < len(found) else len(lines)
        body: list[str] = []
        for x, _ in lines[first:end]:
            # a blank line, or after a full stop a short capitalised line (the next term's column)
            # or a footnote ("1 Available at …")
            next_term = len(x) <= _TERM_COL and x[:1].isupper() and x[-1] not in ".;:,"
            if not x or (body and body[-1].endswith((".", ")")) and (next_term or re.match(r"\d{1,2} [A-Z]", x))):
                break
            body.append(x)
        _add(out, view, term, " ".join(body), off, "table")


def _from_sentences(view: DocView, glossary_doc: bool, out: list[Definition]) -> None:
    """'X means …' anywhere, and 'X: …' lines inside definitions or glossary sections."""
    for m in _MEANS.finditer(view.text):
        term = m.group("term").strip(" (")
        if len(term.split()) <= 8 and term.lower() not in {"this", "it", "the term", "which", "that"}:
            _add(out, view, term, m.group("defn"), m.start("term"), "means")
    pos = 0
    for ln in view.text.split("\n"):
        m = _COLON.match(ln.strip())
        if m and (glossary_doc or _GLOSSARY_SECTION.search(view.section_at(pos))):
            _add(out, view, m.group("term"), m.group("defn"), pos, "colon")
        pos += len(ln) + 1


def _add(out: list[Definition], view: DocView, term: str, defn: str, off: int, kind: str) -> None:
    """Append one definition, cleaned, with its page and section."""
    term = normalise_ws(term).strip(" “”\"")
    defn = normalise_ws(defn)
    if not term or len(defn.split()) < 3 or len(term) > 90:
        return
    shown, keys = _aliases(term)
    out.append(Definition(shown, defn, view.doc_id, view.title, view.page_at(off), view.section_at(off), kind, keys))


def extract_definitions(texts: list[str], metas: list[dict]) -> list[Definition]:
    """Every defined term in the indexed chunks, glossary tables first."""
    out: list[Definition] = []
    for view in doc_views(texts, metas).values():
        glossary = bool(re.search(r"glossary|definitions", view.title + " " + view.doc_id, re.I))
        header = re.search(r"^\s*Term\s+Definition\s*$", view.text, re.M)
        if header:
            _from_table(view, header.start(), out)
        elif glossary:
            _from_list(view, out)
        else:
            _from_echo(view, out)
        _from_sentences(view, glossary, out)
    return out
