"""Fetching: documents the manifest lists with a source_url but does not bundle.

Each download streams into a temporary file next to its target and is renamed into
`corpus_dir/fetched/<id>.pdf` only once it is complete, looks like a PDF and matches
the manifest's sha256 (when the manifest has one). A failed download writes nothing.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ingest.errors import CarbonQAError
from ingest.manifest import DocumentEntry, load_manifest
from ingest.settings import Settings

USER_AGENT = "carbon-policy-assistant (corpus fetch)"
TIMEOUT_S = 30.0

# on_progress(doc_id, bytes_done, bytes_total or None)
Progress = Callable[[str, int, "int | None"], None]


@dataclass
class FetchResult:
    """What happened to one document: downloaded, present, bundled, no-source or failed."""

    doc_id: str
    status: str
    path: Path | None = None
    sha256: str = ""
    bytes: int = 0
    error: str = ""
    verified: bool = False  # sha256 checked against the manifest

    def line(self) -> str:
        """One human-readable line about this document."""
        if self.status == "failed":
            return f"{self.doc_id}: download failed ({self.error})"
        if self.status == "downloaded":
            check = "sha256 verified" if self.verified else f"sha256 {self.sha256} (record it in the manifest)"
            return f"{self.doc_id}: downloaded {self.bytes:,} bytes to {self.path}; {check}"
        if self.status == "present":
            return f"{self.doc_id}: already fetched ({self.path})"
        if self.status == "bundled":
            return f"{self.doc_id}: bundled, nothing to fetch"
        return f"{self.doc_id}: no source_url in the manifest; place the file at {self.path}"


def target_path(entry: DocumentEntry, corpus_dir: Path) -> Path:
    """Where a fetched copy of `entry` is stored."""
    return Path(corpus_dir) / "fetched" / f"{entry.id}.pdf"


def select(entries: list[DocumentEntry], ids: list[str] | None) -> list[DocumentEntry]:
    """The entries to fetch: the named ones, or every entry that is not bundled."""
    if not ids:
        return [e for e in entries if not e.file]
    known = {e.id: e for e in entries}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise CarbonQAError(f"unknown document id(s): {', '.join(unknown)}")
    return [known[i] for i in dict.fromkeys(ids)]


def download(url: str, dest: Path, expected_sha256: str | None = None,
             on_chunk: Callable[[int, int | None], None] | None = None, timeout: float = TIMEOUT_S) -> tuple[str, int]:
    """Stream `url` into `dest` atomically; return (sha256, size). Raises on any failure, leaving no file."""
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            with httpx.stream("GET", url, follow_redirects=True, timeout=timeout,
                              headers={"User-Agent": USER_AGENT}) as resp:
                resp.raise_for_status()
                total = int(resp.headers["content-length"]) if resp.headers.get("content-length", "").isdigit() else None
                head = b""
                for block in resp.iter_bytes(1 << 16):
                    if len(head) < 5:
                        head += block[: 5 - len(head)]
                    out.write(block)
                    h.update(block)
                    size += len(block)
                    if on_chunk:
                        on_chunk(size, total)
                kind = resp.headers.get("content-type", "unknown type").split(";")[0]
        if not head.startswith(b"%PDF-"):
            raise ValueError(f"not a PDF (got {kind}); source_url may be a web page, download it by hand")
        sha = h.hexdigest()
        if expected_sha256 and sha != expected_sha256:
            raise ValueError(f"sha256 mismatch: manifest {expected_sha256[:12]}…, downloaded {sha[:12]}…")
        os.replace(tmp, dest)
        return sha, size
    finally:
        tmp.unlink(missing_ok=True)


def _reason(exc: Exception) -> str:
    """A short reason for a failed download, without a stack trace."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} {exc.response.reason_phrase}".strip()
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}" if str(exc) else "cannot connect (offline?)"
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, ValueError) else f"{type(exc).__name__}: {text}"


def fetch_documents(settings: Settings, ids: list[str] | None = None, force: bool = False,
                    on_progress: Progress | None = None) -> list[FetchResult]:
    """Download every selected document that has a source_url and no bundled file."""
    entries = select(load_manifest(settings.manifest_path), ids)
    results = []
    for entry in entries:
        dest = target_path(entry, settings.corpus_dir)
        if entry.file:
            results.append(FetchResult(entry.id, "bundled", entry.path(settings.corpus_dir)))
            continue
        if not entry.source_url:
            results.append(FetchResult(entry.id, "no-source", dest))
            continue
        if dest.exists() and not force:
            results.append(FetchResult(entry.id, "present", dest))
            continue
        try:
            sha, size = download(
                entry.source_url, dest, entry.sha256,
                on_chunk=(lambda done, total, i=entry.id: on_progress(i, done, total)) if on_progress else None,
            )
        except Exception as exc:  # any network or file error becomes one line about this document
            results.append(FetchResult(entry.id, "failed", error=_reason(exc)))
            continue
        results.append(FetchResult(entry.id, "downloaded", dest, sha, size, verified=bool(entry.sha256)))
    return results
