"""The dev/test split: a fixed rule on the question id, so nobody chooses which rows are held out.

dev  — everything that tunes: features, weights, thresholds, prompts, the answerability model.
test — reporting only. `carbonqa eval run` scores test by default.

The rule hashes the id with a salt, so the split of a row never changes when rows are added,
and a row's split cannot be picked by looking at the row.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

SALT = "carbonqa-split-v1"
TEST_SHARE = 0.4


def split_of(qid: str, test_share: float = TEST_SHARE) -> str:
    """'test' or 'dev' for a question id (stable across runs, machines and added rows)."""
    h = int(hashlib.sha256(f"{SALT}:{qid}".encode()).hexdigest()[:8], 16) / 2**32
    return "test" if h < test_share else "dev"


def split_rows(lines: list[str]) -> dict[str, list[str]]:
    """JSONL lines grouped by split, in input order; blank lines dropped."""
    out: dict[str, list[str]] = {"dev": [], "test": []}
    seen: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        qid = str(json.loads(line).get("id", ""))
        if qid in seen:
            raise ValueError(f"duplicate question id {qid!r}")
        seen.add(qid)
        out[split_of(qid)].append(line.rstrip("\n"))
    return out


def write_split(sources: list[Path], out_dir: Path) -> dict[str, int]:
    """Read every source file and (re)write out_dir/dev.jsonl and out_dir/test.jsonl; row counts."""
    lines: list[str] = []
    for src in sources:
        lines += Path(src).read_text(encoding="utf-8").splitlines()
    groups = split_rows(lines)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in groups.items():
        tmp = out_dir / f".{name}.jsonl.tmp"
        tmp.write_text("".join(r + "\n" for r in rows), encoding="utf-8")
        tmp.replace(out_dir / f"{name}.jsonl")
    return {k: len(v) for k, v in groups.items()}
