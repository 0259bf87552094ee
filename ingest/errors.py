"""Errors that name the file and the reason, for one clear line per bad document."""
from __future__ import annotations


class CarbonQAError(Exception):
    """A user-facing error: printed as one line, never as a stack trace."""


class DocumentError(CarbonQAError):
    """A document that cannot be ingested; names the file and the problem."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class ReindexNeeded(CarbonQAError):
    """The stored index was built with other settings than the current ones."""
