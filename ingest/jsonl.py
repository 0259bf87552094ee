"""The one way to write JSONL: a row per line that every line-splitting reader sees as one line.

json.dumps leaves U+0085, U+2028 and U+2029 raw, yet Python's str.splitlines() (and JavaScript)
break lines there; escaped as \\uXXXX they stay the same string when the row is parsed back.
Control characters (\\n, \\v, \\x1c…) are escaped by json.dumps itself.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Iterable

from filelock import FileLock

_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_APPEND_LOCK = threading.Lock()  # rows from threads of one process, in whole lines


def dumps_line(row: object) -> str:
    """One JSON row with no character that any reader could take for a line break (no newline added)."""
    return json.dumps(row, ensure_ascii=False).translate(_LINE_BREAKS)


def write_jsonl(path: Path, rows: Iterable[object]) -> None:
    """Write rows to a new file through a temporary one, so a reader never sees half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(dumps_line(row) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def append_jsonl(path: Path, row: object) -> None:
    """Append one row as a single write under a thread lock and a file lock (other processes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (dumps_line(row) + "\n").encode("utf-8")
    with _APPEND_LOCK, FileLock(str(path) + ".lock"):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked; finish the row before releasing the lock
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
