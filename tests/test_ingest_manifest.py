"""The manifest: the bundled one is valid, and a bad entry is named with its field."""
from __future__ import annotations

import pytest

from conftest import CORPUS
from helpers_pdf import manifest_entry, write_manifest
from ingest.manifest import ManifestError, adhoc_entry, file_sha256, load_manifest


def test_bundled_manifest_is_valid_and_matches_the_files():
    entries = load_manifest(CORPUS / "manifest.yaml")
    bundled = [e for e in entries if e.bundled]
    assert len(bundled) == 16
    for e in bundled:
        path = e.path(CORPUS)
        assert path.exists(), f"{e.id}: {path} missing"
        assert e.sha256 == file_sha256(path), f"{e.id}: sha256 in the manifest does not match the file"
    assert all(e.source_url or e.file for e in entries)


@pytest.mark.parametrize("change, field", [
    ({"category": "poetry"}, "category"),
    ({"title": ""}, "title"),
    ({"jurisdictions": []}, "jurisdictions"),
    ({"sha256": "abc"}, "sha256"),
    ({"date": "someday"}, "date"),
    ({"colour": "green"}, "colour"),
    ({"id": "bad id!"}, "id"),
])
def test_invalid_entry_names_entry_and_field(tmp_path, change, field):
    entries = [manifest_entry("good-doc", "a.pdf"), manifest_entry("broken-doc", "b.pdf", **change)]
    path = write_manifest(tmp_path / "manifest.yaml", entries)
    with pytest.raises(ManifestError) as exc:
        load_manifest(path)
    msg = str(exc.value)
    name = change.get("id", "broken-doc")
    assert f"entry '{name}'" in msg and f"field '{field}'" in msg and str(path) in msg


def test_missing_required_field_is_named(tmp_path):
    entry = manifest_entry("no-issuer", "a.pdf")
    del entry["issuer"]
    path = write_manifest(tmp_path / "manifest.yaml", [entry])
    with pytest.raises(ManifestError, match=r"entry 'no-issuer', field 'issuer'"):
        load_manifest(path)


def test_duplicate_id_is_named(tmp_path):
    path = write_manifest(tmp_path / "manifest.yaml", [manifest_entry("twice", "a.pdf"), manifest_entry("twice", "b.pdf")])
    with pytest.raises(ManifestError, match=r"entry 'twice', field 'id': duplicate id"):
        load_manifest(path)


@pytest.mark.parametrize("text, reason", [
    ("documents: [", "not valid YAML"),
    ("- just a list", "documents:"),
])
def test_unreadable_manifest(tmp_path, text, reason):
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError, match=reason):
        load_manifest(path)
    with pytest.raises(ManifestError, match="manifest not found"):
        load_manifest(tmp_path / "absent.yaml")


def test_adhoc_entry_id_comes_from_the_file_name(tmp_path):
    e = adhoc_entry(tmp_path / "My Rules (final) v2.pdf")
    assert e.id == "My-Rules-final-v2" and e.adhoc and not e.bundled
    assert e.path(tmp_path) == (tmp_path / "My Rules (final) v2.pdf").resolve()


def test_fetched_copy_is_found_by_id(tmp_path):
    path = write_manifest(tmp_path / "manifest.yaml", [manifest_entry("remote", None, source_url="https://example.org/r.pdf")])
    (entry,) = load_manifest(path)
    assert entry.path(tmp_path) is None
    (tmp_path / "fetched").mkdir()
    (tmp_path / "fetched" / "remote.pdf").write_bytes(b"%PDF-1.4")
    assert entry.path(tmp_path) == tmp_path / "fetched" / "remote.pdf"
