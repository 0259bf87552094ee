"""The ingest stage end to end: manifest → extract → clean → sections → chunks → vectors → store."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest.chunking import chunk_document, load_tokenizer
from ingest.clean import clean_pages
from ingest.embed import get_embedder
from ingest.errors import CarbonQAError, DocumentError
from ingest.manifest import DocumentEntry, adhoc_entry, file_sha256, load_manifest
from ingest.models import DocText
from ingest.pdf import extract_raw
from ingest.settings import Settings
from ingest.store import Store
from ingest.structure import find_sections, toc_pages


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
    doc = DocText(clean_pages(raw, labels))
    sections = find_sections([p.text for p in doc.pages], doc.page_starts())
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


def ingest(
    settings: Settings,
    only: list[str] | None = None,
    force: bool = False,
    paths: list[Path] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Bring the index in line with the manifest (or with the given files); return what happened."""
    started = time.perf_counter()
    if paths:
        entries = [adhoc_entry(Path(p)) for p in paths]
    else:
        entries = load_manifest(settings.manifest_path)
    if only:
        unknown = sorted(set(only) - {e.id for e in entries})
        if unknown:
            raise CarbonQAError(f"unknown document id(s): {', '.join(unknown)}")
        entries = [e for e in entries if e.id in only]
    store = Store(settings)
    if force and not (only or paths):
        store.reset()  # a full rebuild; with --only or paths, force re-ingests just those documents
    store.check_settings()
    registry = store.registry()
    report = IngestReport()
    if not paths and not only:
        listed = {e.id for e in entries}
        for doc_id, rec in registry.items():
            if doc_id not in listed and not rec.get("adhoc"):
                store.purge(doc_id)
                report.results.append(DocResult(doc_id, "purged"))
    seen_sha: dict[str, str] = {}
    embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
    for n, entry in enumerate(entries):
        if on_progress:
            on_progress(entry.id, n, len(entries))
        path = entry.path(settings.corpus_dir)
        if path is None:
            report.results.append(DocResult(entry.id, "missing", error="not bundled; `carbonqa corpus fetch`"))
            continue
        t0 = time.perf_counter()
        rec = registry.get(entry.id, {})
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
                report.results.append(DocResult(entry.id, "skipped", rec.get("pages", 0), rec.get("chunks", 0)))
                continue
            chunks, res = process_document(entry, path, sha, settings)
            t = time.perf_counter()
            vectors = embedder.embed([c.embed_text() for c in chunks], settings.embed_batch_size)
            res.stages["embed"] = time.perf_counter() - t
            t = time.perf_counter()
            store.add_chunks(chunks, vectors)
            res.seconds = time.perf_counter() - t0
            store.put_record(entry.id, _record(entry, sha, settings, res))
            store.collect_garbage(entry.id, sha)
            res.stages["store"] = time.perf_counter() - t
            res.seconds = time.perf_counter() - t0
            report.results.append(res)
        except DocumentError as exc:
            # Keep the previous good version searchable; just note the failure on its record.
            failed = dict(rec) if rec else {"sha256": "", "pages": 0, "chunks": 0, "title": entry.title,
                                             "category": entry.category, "adhoc": entry.adhoc}
            failed.update(status="failed" if not rec.get("sha256") else "ingested", error=exc.reason)
            store.put_record(entry.id, failed)
            report.results.append(DocResult(entry.id, "failed", error=str(exc)))
    report.seconds = time.perf_counter() - started
    return report
