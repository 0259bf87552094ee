"""Sentence vectors beside the index: one file per document version, written before its switch.

The answer step compares the question with every candidate sentence. Embedding those sentences
per question cost about a second on 2 cores; pooling them at ingest from the chunk's own
encoding pass ("late chunking") costs nothing extra, and reading them back is a lookup.
Files are named by document and content hash, so a reader of the registry's active version
never sees another version's vectors; a missing file only means the answer step pools its own.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
SOLO = ".solo"


class SentenceVectors:
    """Per-document `.npz` files: chunk id, sentence offset in the chunk, float16 vector."""

    def __init__(self, root: Path, digest: str):
        self.root = Path(root)
        self.digest = digest

    def _path(self, doc_id: str, sha: str, kind: str = "") -> Path:
        """The file of one document version ('.solo' for the vectors of sentences encoded on their own)."""
        return self.root / f"{_SAFE.sub('_', doc_id)}@{sha[:16]}{kind}.npz"

    def write(self, doc_id: str, sha: str, chunk_ids: list[str], spans: list[list[tuple[int, int]]],
              vecs: list[np.ndarray]) -> None:
        """Write one version's vectors atomically (temp file, then rename)."""
        ids = [c for c, sp in zip(chunk_ids, spans) for _ in sp]
        offsets = [a for sp in spans for a, _b in sp]
        dim = vecs[0].shape[1] if vecs else 0
        stacked = np.vstack([v for v in vecs if len(v)]) if ids else np.zeros((0, dim))
        self._save(self._path(doc_id, sha), ids=np.array(ids, dtype=str),
                   offsets=np.array(offsets, dtype=np.int32), vecs=stacked.astype(np.float16))

    def drop(self, doc_id: str, keep_sha: str | None = None) -> None:
        """Delete a document's files, except the one of keep_sha."""
        if not self.root.is_dir():
            return
        keep = {self._path(doc_id, keep_sha, k).name for k in ("", SOLO)} if keep_sha else set()
        prefix = f"{_SAFE.sub('_', doc_id)}@"
        for f in self.root.iterdir():
            if f.name.startswith(prefix) and f.name not in keep:
                f.unlink(missing_ok=True)

    def reset(self) -> None:
        """Delete every file (a forced rebuild)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _read(self, doc_id: str, sha: str, kind: str, *names: str) -> list[np.ndarray] | None:
        """The named arrays of one version's file, or None when absent, damaged or of other settings."""
        path = self._path(doc_id, sha, kind)
        if not path.is_file():
            return None
        try:
            with np.load(path) as z:
                return [z[n] for n in names] if str(z["digest"]) == self.digest else None
        except (OSError, ValueError, KeyError):
            return None  # the answer step encodes what is missing

    def _save(self, path: Path, **arrays: np.ndarray) -> None:
        """Write arrays atomically (temp file, then rename), tagged with the index settings."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, digest=np.array(self.digest), **arrays)
        os.replace(tmp, path)

    def load(self, active: dict[str, str]) -> dict[str, dict[int, np.ndarray]]:
        """chunk id -> {offset: float32 vector} for the active versions; unreadable files are skipped."""
        table: dict[str, dict[int, np.ndarray]] = {}
        for doc_id, sha in active.items():
            got = self._read(doc_id, sha, "", "ids", "offsets", "vecs")
            if got is not None:
                ids, offsets, vecs = got
                for cid, off, v in zip(ids.tolist(), offsets.tolist(), vecs.astype(np.float32)):
                    table.setdefault(cid, {})[off] = v
        return table

    def has_solo(self, doc_id: str, sha: str) -> bool:
        """Whether a version's sentences encoded on their own are on disk."""
        return self._path(doc_id, sha, SOLO).is_file()

    def write_solo(self, doc_id: str, sha: str, texts: list[str], vecs: np.ndarray) -> None:
        """Write one version's standalone sentence vectors (keyed by sentence text) atomically."""
        self._save(self._path(doc_id, sha, SOLO), texts=np.array(texts, dtype=str),
                   vecs=np.asarray(vecs).astype(np.float16))

    def load_solo(self, active: dict[str, str]) -> dict[str, np.ndarray]:
        """sentence text -> float32 vector for the active versions that have one; bad files skipped."""
        table: dict[str, np.ndarray] = {}
        for doc_id, sha in active.items():
            got = self._read(doc_id, sha, SOLO, "texts", "vecs")
            if got is not None:
                table.update(zip(got[0].tolist(), got[1].astype(np.float32)))
        return table
