"""Where each document stands: listed in the manifest or ad hoc, on disk or not, indexed or failed.

The chat's Corpus tab and `carbonqa corpus list` both show these rows; it lives below both.
"""
from __future__ import annotations

from ingest.settings import Settings


def _registry(settings: Settings) -> dict[str, dict]:
    """The store's document records; empty when no index exists yet (nothing is created)."""
    if not settings.chroma_url and not settings.chroma_path.exists():
        return {}
    from ingest.store import Store

    return Store(settings).registry()


def _row(entry, rec: dict | None, settings: Settings) -> dict:
    """One document: where its file is, whether and how it is indexed."""
    from ingest.manifest import file_sha256

    path = entry.path(settings.corpus_dir)
    on_disk = path is not None and path.exists()
    if entry.adhoc:
        availability = "adhoc"
    elif entry.file:
        availability = "bundled" if on_disk else "missing"
    else:
        availability = "fetched" if on_disk else "missing"
    rec = rec or {}
    error = rec.get("error", "")
    if rec.get("sha256"):
        status = "ingested"
    elif rec.get("status") == "failed":
        status = "failed"
    else:
        status = availability if availability != "adhoc" else "missing"
        if availability == "missing":
            error = "file not found" if entry.file else (
                "not bundled; `carbonqa corpus fetch`" if entry.source_url else "not bundled; no source_url")
    stale = bool(rec.get("sha256")) and (
        rec.get("index_digest") != settings.index_digest or not on_disk or file_sha256(path) != rec["sha256"]
    )
    return {
        "id": entry.id, "title": entry.title, "status": status, "availability": availability,
        "pages": int(rec.get("pages", 0) or 0), "chunks": int(rec.get("chunks", 0) or 0),
        "error": error, "stale": stale, "category": entry.category, "version": entry.version or "",
        "issuer": entry.issuer, "date": entry.date.isoformat() if entry.date else "",
        "source_url": entry.source_url or "", "file": str(path) if path else "",
    }


def corpus_rows(settings: Settings) -> list[dict]:
    """Every manifest document, then ad-hoc documents found only in the store's registry."""
    from ingest.manifest import DocumentEntry, load_manifest

    entries = load_manifest(settings.manifest_path)
    registry = _registry(settings)
    rows = [_row(e, registry.get(e.id), settings) for e in entries]
    listed = {e.id for e in entries}
    for doc_id, rec in sorted(registry.items()):
        if doc_id in listed:
            continue
        entry = DocumentEntry(
            id=doc_id, title=rec.get("title") or doc_id, issuer=rec.get("issuer") or "unknown",
            category=rec.get("category") or "report",
            jurisdictions=[j for j in str(rec.get("jurisdictions", "")).split("|") if j] or ["unknown"],
            version=rec.get("version") or None, file=rec.get("file") or None, adhoc=True,
        )
        row = _row(entry, rec, settings)
        if not rec.get("adhoc"):
            row["availability"] = "not in manifest"  # purged by the next full `carbonqa ingest`
        rows.append(row)
    return rows
