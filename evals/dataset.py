"""Question sets: load the JSONL rows and check every claim they make against the corpus.

A row is only as good as its evidence: validation re-reads each cited page in pypdf's raw text
(never our own cleaned text, so a cleaning bug cannot make a gold quote look right) and reports
every problem it finds, one line each, instead of stopping at the first, so a question set can
be fixed in one pass. The raw text is normalised in two ways only: runs of whitespace become one
space, and a hyphen at a line break ("emis-\nsions", "long-\nterm") may be read either as a
broken word ("emissions") or as a compound ("long-term").
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.clean import clean_pages, normalise_ws
from ingest.errors import CarbonQAError
from ingest.manifest import load_manifest
from ingest.settings import INDEX_SCHEMA, Settings

TYPES = ("factoid", "number", "definition", "list", "procedure", "comparison", "unanswerable")
QUOTE_WORDS = (6, 30)
# A hyphen left by a line break ("emis- sions") would only match raw text by accident.
_HYPHEN_BREAK = re.compile(r"[a-z]- [a-z]")
# A hyphen that ends a line of pypdf's raw text; marked before whitespace is collapsed.
_LINE_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\r?\n\s*(?=\w)")
_MARK = "\x00"


class DatasetError(CarbonQAError):
    """A question file that cannot be read at all (missing, or a line that is not JSON)."""


@dataclass(frozen=True)
class Evidence:
    """One gold quote on one physical (1-based) page of one document."""

    doc: str
    page: int
    quote: str


@dataclass(frozen=True)
class Question:
    """One evaluation row."""

    id: str
    question: str
    type: str
    answer: str
    key_facts: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    tags: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    line: int = 0

    @property
    def answerable(self) -> bool:
        """False for rows the corpus does not answer."""
        return self.type != "unanswerable"

    @property
    def gold_pages(self) -> set[tuple[str, int]]:
        """Distinct (doc, page) pairs of the evidence."""
        return {(e.doc, e.page) for e in self.evidence}

    @property
    def gold_docs(self) -> set[str]:
        """Distinct documents of the evidence."""
        return {e.doc for e in self.evidence}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row (or with the file)."""

    id: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        """`line 12 q012 evidence[0].quote: ...` — greppable, one per line."""
        return f"line {self.line} {self.id or '-'} {self.field}: {self.message}"


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, parsed object) for every non-blank line; a bad line raises naming it."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: question file not found")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DatasetError(f"{path}:{n}: expected a JSON object")
        rows.append((n, obj))
    return rows


def check_schema(row: dict, line: int) -> list[Problem]:
    """Field presence and types; values are checked against the corpus elsewhere."""
    qid = str(row.get("id", ""))
    out: list[Problem] = []

    def bad(fld: str, msg: str) -> None:
        out.append(Problem(qid, line, fld, msg))

    rid = row.get("id")
    if not isinstance(rid, str) or not rid.strip():
        bad("id", f"expected a non-empty string id, got {rid!r}")
    elif rid != rid.strip():
        bad("id", f"id has leading or trailing whitespace: {rid!r}")
    for fld in ("question", "answer"):
        if not isinstance(row.get(fld), str) or not row[fld].strip():
            bad(fld, "missing or empty string")
    if row.get("type") not in TYPES:
        bad("type", f"{row.get('type')!r} is not one of {', '.join(TYPES)}")
    for fld in ("key_facts", "tags"):
        v = row.get(fld)
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            bad(fld, "expected a list of non-empty strings")
    if "history" in row:
        h = row["history"]
        if not isinstance(h, list) or not h or not all(isinstance(x, str) and x.strip() for x in h):
            bad("history", "expected a non-empty list of earlier questions")
    ev = row.get("evidence")
    if not isinstance(ev, list):
        bad("evidence", "expected a list")
    else:
        for i, e in enumerate(ev):
            if not isinstance(e, dict) or not isinstance(e.get("doc"), str) or not isinstance(e.get("quote"), str):
                bad(f"evidence[{i}]", "expected {doc: str, page: int, quote: str}")
            elif not isinstance(e.get("page"), int) or isinstance(e.get("page"), bool):
                bad(f"evidence[{i}].page", f"expected an integer, got {e.get('page')!r}")
    extra = set(row) - {"id", "question", "type", "answer", "key_facts", "evidence", "tags", "history"}
    if extra:
        bad("(row)", f"unknown field(s): {', '.join(sorted(extra))}")
    return out


def to_question(row: dict, line: int = 0) -> Question:
    """A Question from a schema-valid row."""
    return Question(
        id=row["id"], question=row["question"], type=row["type"], answer=row["answer"],
        key_facts=tuple(row["key_facts"]),
        evidence=tuple(Evidence(e["doc"], int(e["page"]), e["quote"]) for e in row["evidence"]),
        tags=tuple(row.get("tags", [])), history=tuple(row.get("history", [])), line=line,
    )


def load_questions(path: Path) -> list[Question]:
    """Read a question file; a row that breaks the schema raises, listing every such problem."""
    rows = read_rows(path)
    problems = [p for n, r in rows for p in check_schema(r, n)]
    if problems:
        raise DatasetError(f"{path}: {len(problems)} schema problem(s):\n" + "\n".join(map(str, problems)))
    return [to_question(r, n) for n, r in rows]


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes (recorded with every run)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def mark_raw(raw: str) -> str:
    """Whitespace-normalised raw page text with each line-break hyphen replaced by a marker."""
    return normalise_ws(_LINE_HYPHEN.sub(_MARK, raw))


def raw_readings(marked: str) -> tuple[str, str]:
    """The two readings of a marked raw page: broken words joined, and compounds kept hyphenated."""
    return marked.replace(_MARK, ""), marked.replace(_MARK, "-")


def page_texts(raw: str, cleaned: str) -> tuple[str, str, str]:
    """(raw, cleaned, marked raw) for one page: the first two whitespace-normalised."""
    return normalise_ws(raw), normalise_ws(cleaned), mark_raw(raw)


def pypdf_pages(path: Path) -> list[str]:
    """pypdf's raw text of every page of a PDF: what a gold quote must stand in."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


class CorpusPages:
    """Page texts of every manifest document: raw (pypdf) and cleaned, whitespace-normalised,
    plus the raw text with line-break hyphens marked (see `page_texts`).

    Extraction of the bundled PDFs takes a while, so page texts are cached per file sha256
    and extraction schema under data_dir/eval-pages; `pages` may also be given directly (tests),
    as (raw, cleaned) text pairs per page, line breaks and all.
    """

    _CACHE_FORMAT = 3  # 2: a third, hyphen-marked raw text per page; 3: raw text from pypdf itself, not PDFium

    def __init__(self, settings: Settings | None = None, pages: dict[str, list[tuple[str, str]]] | None = None,
                 cache_dir: Path | None = None):
        self.settings = settings
        self.cache_dir = cache_dir or (settings.data_dir / "eval-pages" if settings is not None else None)
        self._pages: dict[str, list[tuple[str, str, str]]] = {
            doc: [page_texts(raw, cleaned) for raw, cleaned in texts] for doc, texts in (pages or {}).items()
        }
        self._files: dict[str, tuple[Path, str | None]] = {}
        if settings is not None:
            for e in load_manifest(settings.manifest_path):
                p = e.path(settings.corpus_dir)
                if p is not None and p.exists():
                    self._files[e.id] = (p, e.sha256)

    def doc_ids(self) -> set[str]:
        """Documents whose text is available."""
        return set(self._pages) | set(self._files)

    def variants(self, doc: str) -> list[tuple[str, str, str]] | None:
        """Per page (1-based index = position + 1): (raw, cleaned, marked raw) texts; None if unknown."""
        if doc not in self._pages:
            if doc not in self._files:
                return None
            self._pages[doc] = self._load(doc)
        return self._pages[doc]

    def n_pages(self, doc: str) -> int:
        """Number of pages of a document (0 if unknown)."""
        v = self.variants(doc)
        return len(v) if v else 0

    def page(self, doc: str, page: int) -> tuple[str, str, str] | None:
        """(raw, cleaned, marked raw) text of one page, or None if doc or page does not exist."""
        v = self.variants(doc)
        if not v or not 1 <= page <= len(v):
            return None
        return v[page - 1]

    def _load(self, doc: str) -> list[tuple[str, str, str]]:
        """Extract (or read from the cache) one document's pages."""
        import pypdf

        from ingest.pdf import extract_raw

        path, sha = self._files[doc]
        sha = sha or file_sha256(path)
        key = f"{sha[:16]}-s{INDEX_SCHEMA}-pypdf{pypdf.__version__}-f{self._CACHE_FORMAT}"
        cache = self.cache_dir / f"{doc}-{key}.json.gz"
        if cache.exists():
            try:
                return [tuple(p) for p in json.loads(gzip.decompress(cache.read_bytes()))]
            except (OSError, ValueError):  # a damaged cache is simply rebuilt
                pass
        raw, labels = extract_raw(path)
        cleaned = clean_pages(raw, labels)
        # The index reads PDFium (ingest.pdf); gold quotes are held to pypdf's own text, as the question
        # set's README says. The two differ on a few pages (PDFium keeps a hidden glyph pypdf drops).
        gold = pypdf_pages(path) if path.suffix.lower() == ".pdf" else raw
        if len(gold) != len(raw):
            raise ValueError(f"{path}: pypdf reads {len(gold)} pages, PDFium {len(raw)}")
        pages = [page_texts(r, c.text) for r, c in zip(gold, cleaned)]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(gzip.compress(json.dumps(pages).encode()))
        return pages


def quote_on_page(quote: str, page: tuple[str, ...] | None) -> bool:
    """True when the whitespace-normalised quote is a substring of the raw or the cleaned page.

    Lenient on purpose: the runner uses it to score the assistant's citations, which quote our
    cleaned text. Gold evidence is held to `quote_on_raw_page`.
    """
    if page is None:
        return False
    q = normalise_ws(quote)
    return bool(q) and (q in page[0] or q in page[1])


def quote_on_raw_page(quote: str, page: tuple[str, ...] | None) -> bool:
    """True when the whitespace-normalised quote is in pypdf's raw page text, either reading of
    line-break hyphens allowed (see `raw_readings`); the cleaned text does not count."""
    if page is None:
        return False
    q = normalise_ws(quote)
    return bool(q) and any(q in r for r in raw_readings(page[2]))


def _has(needle: str, hay: str) -> bool:
    """Case-insensitive containment after whitespace normalisation."""
    return normalise_ws(needle).lower() in hay.lower()


def check_row(q: Question, corpus: CorpusPages) -> list[Problem]:
    """Every corpus-level problem of one schema-valid row."""
    out: list[Problem] = []

    def bad(fld: str, msg: str) -> None:
        out.append(Problem(q.id, q.line, fld, msg))

    if not q.answerable:
        if q.evidence:
            bad("evidence", "unanswerable rows must have empty evidence")
        if q.key_facts:
            bad("key_facts", "unanswerable rows must have empty key_facts")
        return out
    if not q.evidence:
        bad("evidence", "answerable rows need at least one evidence quote")
    if not q.key_facts:
        bad("key_facts", "answerable rows need at least one key fact")
    if q.type == "comparison" and len(q.gold_docs) < 2:
        bad("evidence", "a comparison must cite at least two documents")
    if q.history and "follow-up" not in q.tags:
        bad("tags", "rows with history should carry the 'follow-up' tag")
    pages: list[tuple[str, str, str]] = []
    for i, e in enumerate(q.evidence):
        if e.doc not in corpus.doc_ids():
            bad(f"evidence[{i}].doc", f"unknown document id {e.doc!r} (not in the manifest or file missing)")
            continue
        n = corpus.n_pages(e.doc)
        if not 1 <= e.page <= n:
            bad(f"evidence[{i}].page", f"page {e.page} out of range 1..{n} for {e.doc}")
            continue
        page = corpus.page(e.doc, e.page)
        pages.append(page)
        words = len(e.quote.split())
        if not QUOTE_WORDS[0] <= words <= QUOTE_WORDS[1]:
            bad(f"evidence[{i}].quote", f"{words} words; quotes should be {QUOTE_WORDS[0]}-{QUOTE_WORDS[1]}")
        if _HYPHEN_BREAK.search(normalise_ws(e.quote)):
            bad(f"evidence[{i}].quote", "contains a hyphenated line break ('x- y')")
        if not quote_on_raw_page(e.quote, page):
            where = _find_elsewhere(e.quote, e.doc, e.page, corpus)
            where = f"; {where}" if where else ""
            bad(f"evidence[{i}].quote", f"not verbatim in pypdf's raw text of {e.doc} p.{e.page}{where}: "
                                        f"{e.quote[:80]!r}")
    if pages:
        hay = " ".join(r for p in pages for r in raw_readings(p[2]))
        for fact in q.key_facts:
            if not _has(fact, hay):
                bad("key_facts", f"{fact!r} not on any evidence page")
    ans = normalise_ws(q.answer).lower()
    for fact in q.key_facts:
        if normalise_ws(fact).lower() not in ans:
            bad("key_facts", f"{fact!r} not in the gold answer")
    return out


def _find_elsewhere(quote: str, doc: str, page: int, corpus: CorpusPages) -> str:
    """Where a misplaced quote actually is, to make the fix obvious ('' if nowhere).

    Looks at the other pages of the cited document, then at every other document, and last
    says so when the quote only matches our cleaned text of the cited page.
    """
    for i, p in enumerate(corpus.variants(doc) or [], 1):
        if i != page and quote_on_raw_page(quote, p):
            return f"found on page {i}"
    for other in sorted(corpus.doc_ids() - {doc}):
        for i, p in enumerate(corpus.variants(other) or [], 1):
            if quote_on_raw_page(quote, p):
                return f"found on {other} p.{i}"
    cited = corpus.page(doc, page)
    if cited is not None and normalise_ws(quote) in cited[1]:
        return "it is only in our cleaned text of that page, not in pypdf's raw text"
    return ""


def validate_rows(rows: list[tuple[int, dict]], corpus: CorpusPages,
                  reference: list[tuple[int, dict]] | None = None) -> list[Problem]:
    """Every problem of a parsed question file; `reference` (e.g. test.jsonl for ci.jsonl) must hold each row verbatim."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    ref = {r.get("id"): r for _, r in reference or []}
    for n, row in rows:
        schema = check_schema(row, n)
        problems += schema
        qid = row.get("id")
        if isinstance(qid, str):
            if qid in seen:
                problems.append(Problem(qid, n, "id", f"duplicate id (first on line {seen[qid]})"))
            seen.setdefault(qid, n)
        if reference is not None and ref.get(qid) != row:
            problems.append(Problem(str(qid), n, "(row)", "differs from (or is missing in) the reference file"))
        if not schema:
            problems += check_row(to_question(row, n), corpus)
    return problems


def validate_file(path: Path, settings: Settings, reference: Path | None = None) -> list[Problem]:
    """Validate a question file against the corpus the settings point at."""
    rows = read_rows(path)
    corpus = CorpusPages(settings)
    return validate_rows(rows, corpus, read_rows(reference) if reference else None)


@dataclass
class Summary:
    """Counts shown after a validation run."""

    rows: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    follow_ups: int = 0


def summarise(rows: list[tuple[int, dict]]) -> Summary:
    """Row counts by type, and how many follow-ups."""
    s = Summary(rows=len(rows))
    for _, r in rows:
        s.by_type[str(r.get("type"))] = s.by_type.get(str(r.get("type")), 0) + 1
        s.follow_ups += bool(r.get("history"))
    return s
