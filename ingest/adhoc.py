"""Ids for files ingested ad hoc (`carbonqa ingest PATH`): readable, and never shared by two files.

The id is the file name (see manifest.readable_id). The same path ingested again keeps its id
and so replaces its document; a different file whose name gives an id already in use (by another
path, or by a manifest document) gets the name plus a short hash of its resolved path.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.errors import CarbonQAError
from ingest.manifest import MAX_ID_CHARS, DocumentEntry, adhoc_entry, readable_id

MANIFEST = "<manifest>"  # the owner of an id the manifest declares


def path_tag(path: Path) -> str:
    """Eight hex digits that tell two resolved paths apart."""
    return hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:8]


def _owner(doc_id: str, taken: dict[str, str], registry: dict[str, dict], reserved: set[str]) -> str | None:
    """Who holds an id now: a resolved file path, MANIFEST, or None when it is free."""
    if doc_id in taken:
        return taken[doc_id]
    if doc_id in reserved:
        return MANIFEST
    rec = registry.get(doc_id)
    if rec is None:
        return None
    return str(rec.get("file") or "") if rec.get("adhoc") else MANIFEST


def adhoc_entries(paths: list[Path], registry: dict[str, dict], reserved: set[str]) -> list[DocumentEntry]:
    """One entry per distinct file, each with an id no other file holds (registry, manifest, this run)."""
    taken: dict[str, str] = {}
    out: list[DocumentEntry] = []
    for given in paths:
        real = Path(given).resolve()
        if str(real) in taken.values():
            continue  # the same file named twice on one command line
        base = readable_id(real.stem)
        doc_id = base
        if _owner(base, taken, registry, reserved) not in (None, str(real)):
            doc_id = f"{base[: MAX_ID_CHARS - 9]}-{path_tag(real)}"
            owner = _owner(doc_id, taken, registry, reserved)
            if owner not in (None, str(real)):
                raise CarbonQAError(f"{given}: its id '{doc_id}' is already used by {owner}; rename the file")
        taken[doc_id] = str(real)
        out.append(adhoc_entry(real, doc_id))
    return out
