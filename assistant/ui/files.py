"""Files the chat app writes and serves: one bounded temp folder for downloads, and the /pdf route."""
from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse

MAX_ENTRIES = 64  # downloads kept per process; a user fetches a pack right after exporting it


class AppFiles:
    """One temp folder per app for evidence packs and comparisons: oldest entries pruned, removed at exit."""

    def __init__(self, max_entries: int = MAX_ENTRIES, prefix: str = "carbonqa-app-"):
        self.max_entries = max_entries
        self._prefix = prefix
        self._root: Path | None = None
        self._count = 0
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize | None = None

    @property
    def root(self) -> Path:
        """The folder, created on first use (in the system temp dir, where Gradio may serve files from)."""
        with self._lock:
            if self._root is None or not self._root.is_dir():
                self._root = Path(tempfile.mkdtemp(prefix=self._prefix))
                # Removed when the app is collected or the process exits, whichever comes first.
                self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._root), True)
                atexit.register(self._finalizer)
            return self._root

    def new_dir(self, kind: str) -> Path:
        """A fresh, empty folder for one download; the oldest folders go once there are too many."""
        root = self.root
        with self._lock:
            self._count += 1
            out = root / f"{self._count:06d}-{kind}"
            out.mkdir()
            entries = sorted(p for p in root.iterdir() if p.is_dir())
            for old in entries[: max(0, len(entries) - self.max_entries)]:
                shutil.rmtree(old, ignore_errors=True)
        return out

    def cleanup(self) -> None:
        """Remove the folder and everything in it now."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._root = None


def add_pdf_route(app: FastAPI, service, is_logged_in=None) -> None:
    """Add GET /pdf/<doc id>: a manifest document (PDF, or text as text/plain); anything else is 404.

    `is_logged_in(request)` guards the route when the app has logins.
    """

    # `:path` so that every /pdf/... request, however encoded, reaches this handler and its 404.
    @app.get("/pdf/{doc_id:path}")
    def pdf(doc_id: str, request: Request) -> FileResponse:
        """Serve a manifest document by id, named by its file name in any script."""
        if is_logged_in is not None and not is_logged_in(request):
            raise HTTPException(status_code=401, detail="log in first")
        path = service.pdf_path(doc_id)
        if path is None:
            raise HTTPException(status_code=404, detail="no such document")
        media = "application/pdf" if path.suffix.lower() == ".pdf" else "text/plain; charset=utf-8"
        # Given the name, FileResponse writes `filename*=utf-8''…` (RFC 5987) for names outside
        # ASCII, which a hand-built header cannot carry. nosniff: text with markup stays text.
        return FileResponse(path, media_type=media, filename=path.name, content_disposition_type="inline",
                            headers={"X-Content-Type-Options": "nosniff"})
