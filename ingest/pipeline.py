"""The ingest stage end to end: manifest → extract → clean → sections → chunks → vectors → store."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from filelock import FileLock, Timeout

from ingest.adhoc import adhoc_entries
from ingest.chunking import chunk_document, load_tokenizer, sentence_spans
from ingest.clean import clean_pages
from ingest.embed import get_embedder
from ingest.errors import CarbonQAError, DocumentError
from ingest.manifest import TEXT_SUFFIXES, DocumentEntry, ManifestError, file_sha256, load_manifest
from ingest.models import Chunk, DocText, embed_text
from ingest.pdf import extract_raw
from ingest.settings import Settings
from ingest.store import Store
from ingest.structure import find_sections, toc_pages

log = logging.getLogger(__name__)
LOCK_NAME = "ingest.lock"


@dataclass
class DocResult:
    """What happened to one document in one run."""

    doc_id: str
    status: str  # ingested | skipped | failed | missing | purged
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    error: str = ""
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class IngestReport:
    """All documents of one run, plus totals."""

    results: list[DocResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[DocResult]:
        """Documents that could not be ingested."""
        return [r for r in self.results if r.status == "failed"]

    def totals(self) -> dict:
        """Pages, chunks and throughput of the documents processed in this run."""
        done = [r for r in self.results if r.status == "ingested"]
        pages = sum(r.pages for r in done)
        return {
            "documents": len(done), "pages": pages, "chunks": sum(r.chunks for r in done),
            "seconds": round(self.seconds, 2),
            "pages_per_second": round(pages / self.seconds, 1) if self.seconds and pages else 0.0,
        }


@dataclass(frozen=True)
class Progress:
    """One step of a run for progress displays: a document starting (result None) or finished."""

    n: int  # 1-based position of the document in this run
    total: int
    doc_id: str
    pages_done: int  # pages ingested so far in this run
    result: DocResult | None = None


def _record(entry: DocumentEntry, sha: str, settings: Settings, res: DocResult) -> dict:
    """Registry metadata for an ingested document."""
    return {
        "sha256": sha, "index_digest": settings.index_digest, "status": "ingested",
        "pages": res.pages, "chunks": res.chunks, "seconds": round(res.seconds, 2), "error": "",
        "title": entry.title, "category": entry.category, "issuer": entry.issuer,
        "jurisdictions": "|" + "|".join(entry.jurisdictions) + "|", "version": entry.version or "",
        "adhoc": entry.adhoc, "file": entry.file or "",
    }


def process_document(entry: DocumentEntry, path: Path, sha: str, settings: Settings) -> tuple[list, DocResult]:
    """Extract, clean, structure and chunk one file (no embedding, no storing)."""
    res = DocResult(entry.id, "ingested")
    t = time.perf_counter()
    raw, labels = extract_raw(path)
    res.stages["extract"] = time.perf_counter() - t
    t = time.perf_counter()
    doc = DocText(clean_pages(raw, labels, paragraphs=path.suffix.lower() in TEXT_SUFFIXES))
    sections = find_sections([p.text for p in doc.pages], doc.page_starts(), [p.numbered for p in doc.pages])
    meta = {
        "doc_id": entry.id, "sha256": sha, "title": entry.title, "category": entry.category,
        "jurisdictions": entry.jurisdictions, "issuer": entry.issuer, "version": entry.version,
    }
    embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
    tokenizer = load_tokenizer(str(embedder.model_dir))
    skip = toc_pages([p.text for p in doc.pages])
    chunks = chunk_document(
        doc, sections, meta, tokenizer, settings.chunk_tokens, settings.chunk_overlap_tokens, skip
    )
    res.stages["chunk"] = time.perf_counter() - t
    res.pages = len(doc.pages)
    res.chunks = len(chunks)
    return chunks, res


def lock_path(settings: Settings) -> Path:
    """The file lock that lets one ingest at a time write to a data dir."""
    return settings.data_dir / LOCK_NAME


@contextmanager
def ingest_lock(settings: Settings, timeout: float = 0.0) -> Iterator[None]:
    """Hold the data dir's ingest lock; a clear error when another run holds it past `timeout` seconds."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise CarbonQAError(
            f"another `carbonqa ingest` is running on {settings.data_dir} (lock {path}): "
            "wait for it to finish, then run this again") from None
    try:
        yield
    finally:
        lock.release()


def ingest(
    settings: Settings,
    only: list[str] | None = None,
    force: bool = False,
    paths: list[Path] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    lock_timeout: float = 0.0,
) -> IngestReport:
    """Bring the index in line with the manifest (or with the given files); return what happened.

    One run at a time per data dir (a file lock); any error while ingesting one document is that
    document's failure, and the others go on.
    """
    with ingest_lock(settings, lock_timeout):
        return _run(settings, only, force, paths, on_progress)


def _reserved_ids(settings: Settings) -> set[str]:
    """Ids the manifest declares (ad-hoc files must not take them); none when there is no valid manifest."""
    try:
        return {e.id for e in load_manifest(settings.manifest_path)}
    except ManifestError:
        return set()


def _run(settings: Settings, only, force: bool, paths, on_progress) -> IngestReport:
    """The body of `ingest`, under its lock."""
    started = time.perf_counter()
    entries = None if paths else load_manifest(settings.manifest_path)
    if only and entries is not None:
        _check_only(only, entries)
    store = Store(settings)
    if force and not (only or paths):
        store.reset()  # a full rebuild; with --only or paths, force re-ingests just those documents
    store.check_settings()
    registry = store.registry()
    if entries is None:
        entries = adhoc_entries([Path(p) for p in paths], registry, _reserved_ids(settings))
        if only:
            _check_only(only, entries)
    if only:
        entries = [e for e in entries if e.id in only]
    report = IngestReport()
    if not paths and not only:
        report.results += _purge_unlisted(store, registry, {e.id for e in entries})
    seen_sha: dict[str, str] = {}
    embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
    pages = 0
    for n, entry in enumerate(entries, 1):
        if on_progress:
            on_progress(Progress(n, len(entries), entry.id, pages))
        res = _ingest_one(entry, settings, store, registry.get(entry.id, {}), embedder, seen_sha, force)
        report.results.append(res)
        pages += res.pages if res.status == "ingested" else 0
        if on_progress:
            on_progress(Progress(n, len(entries), entry.id, pages, res))
    report.seconds = time.perf_counter() - started
    return report


def _check_only(only: list[str], entries: list[DocumentEntry]) -> None:
    """Unknown --only ids are one clear error."""
    unknown = sorted(set(only) - {e.id for e in entries})
    if unknown:
        raise CarbonQAError(f"unknown document id(s): {', '.join(unknown)}")


def _purge_unlisted(store: Store, registry: dict[str, dict], listed: set[str]) -> list[DocResult]:
    """Remove documents the manifest no longer lists (ad-hoc ones stay)."""
    out = []
    for doc_id, rec in registry.items():
        if doc_id not in listed and not rec.get("adhoc"):
            store.purge(doc_id)
            out.append(DocResult(doc_id, "purged"))
    return out


def embed_chunks(embedder, chunks: list[Chunk], batch_size: int) -> tuple[np.ndarray, tuple[list, list]]:
    """Chunk vectors and, from the same encoding pass, each chunk's sentence vectors with their spans."""
    texts, spans, shifted = [], [], []
    for c in chunks:
        text, shift = embed_text(c.title, c.section, c.text)
        sp = sentence_spans(c.text, c.page_marks, c.section_marks)
        texts.append(text)
        spans.append(sp)
        shifted.append([(a + shift, b + shift) for a, b in sp])
    vectors, pooled = embedder.embed_spans(texts, shifted, batch_size)
    return vectors, (spans, pooled)


def _ingest_one(entry: DocumentEntry, settings: Settings, store: Store, rec: dict, embedder,
                seen_sha: dict[str, str], force: bool) -> DocResult:
    """Ingest one document; whatever goes wrong becomes its failure, and its last good version stays."""
    path = entry.path(settings.corpus_dir)
    if path is None:
        return DocResult(entry.id, "missing", error="not bundled; `carbonqa corpus fetch`")
    t0 = time.perf_counter()
    try:
        if not path.exists():
            raise DocumentError(str(path), "file not found")
        sha = file_sha256(path)
        if entry.sha256 and sha != entry.sha256:
            raise DocumentError(str(path), f"sha256 mismatch: manifest {entry.sha256[:12]}…, file {sha[:12]}…")
        if sha in seen_sha:
            raise DocumentError(str(path), f"duplicate file: same content as '{seen_sha[sha]}'")
        seen_sha[sha] = entry.id
        if (not force and rec.get("sha256") == sha and rec.get("index_digest") == settings.index_digest
                and not rec.get("error")):
            store.collect_garbage(entry.id, sha)  # finish any swap a crash interrupted
            return DocResult(entry.id, "skipped", rec.get("pages", 0), rec.get("chunks", 0))
        chunks, res = process_document(entry, path, sha, settings)
        t = time.perf_counter()
        vectors, sentence_vectors = embed_chunks(embedder, chunks, settings.embed_batch_size)
        res.stages["embed"] = time.perf_counter() - t
        t = time.perf_counter()
        store.add_chunks(chunks, vectors, sentence_vectors)
        res.seconds = time.perf_counter() - t0
        store.put_record(entry.id, _record(entry, sha, settings, res))
        store.collect_garbage(entry.id, sha)
        res.stages["store"] = time.perf_counter() - t
        res.seconds = time.perf_counter() - t0
        return res
    except Exception as exc:  # noqa: BLE001 - an embedder, tokenizer or Chroma error fails this document only
        if not isinstance(exc, DocumentError):
            log.debug("ingesting %s failed", path, exc_info=True)
            exc = DocumentError(str(path), f"{type(exc).__name__}: {exc}")
        _note_failure(store, entry, rec, exc.reason)
        return DocResult(entry.id, "failed", seconds=time.perf_counter() - t0, error=str(exc))


def _note_failure(store: Store, entry: DocumentEntry, rec: dict, reason: str) -> None:
    """Note the failure on the document's record; its previous good version stays searchable."""
    failed = dict(rec) if rec else {"sha256": "", "pages": 0, "chunks": 0, "title": entry.title,
                                     "category": entry.category, "adhoc": entry.adhoc, "file": entry.file or ""}
    failed.update(status="failed" if not rec.get("sha256") else "ingested", error=reason)
    try:
        store.put_record(entry.id, failed)
    except Exception:  # noqa: BLE001 - the store itself is failing; the report still names the error
        log.warning("could not record the failure of %s", entry.id, exc_info=True)
