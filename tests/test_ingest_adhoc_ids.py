"""Ad-hoc ids: readable in any script, and never shared by two different files."""
from __future__ import annotations

import pytest

from helpers_pdf import make_rules_pdf
from ingest.store import Store


@pytest.mark.parametrize("name, expected", [
    ("My Rules (final) v2.pdf", "My-Rules-final-v2"),
    ("कार्बन क्रेडिट नियम.pdf", "कार्बन-क्रेडिट-नियम"),
    ("炭素クレジット規則 2024.pdf", "炭素クレジット規則-2024"),
    ("ＪＣＭ　Ｒｕｌｅｓ.pdf", "JCM-Rules"),  # full-width letters and space fold to ASCII (NFKC)
    ("रेट: शुल्क?.pdf", "रेट-शुल्क"),
])
def test_readable_id_keeps_the_name(tmp_path, name, expected):
    from ingest.manifest import adhoc_entry

    entry = adhoc_entry(tmp_path / name)
    assert entry.id == expected and entry.id != "document"


def _registry_files(settings) -> dict[str, str]:
    """doc id -> file of every registry record."""
    return {d: r.get("file", "") for d, r in Store(settings).registry().items()}


def test_same_name_in_two_folders_gets_two_ids_and_same_path_replaces(tmp_settings, tmp_path, cli):
    a, b = make_rules_pdf(tmp_path / "a" / "rules.pdf", tag="A1"), make_rules_pdf(tmp_path / "b" / "rules.pdf", tag="B1")
    result = cli("ingest", a, b)
    assert result.exit_code == 0, result.output
    files = _registry_files(tmp_settings)
    ids = {d for d, f in files.items() if f in (str(a.resolve()), str(b.resolve()))}
    assert len(ids) == 2 and "rules" in ids, f"both files are kept under their own ids: {files}"
    other = (ids - {"rules"}).pop()
    assert other.startswith("rules-")
    for doc_id in ids:
        assert doc_id in result.output
    chunks = {m["doc_id"] for m in Store(tmp_settings).all_chunks()[2]}
    assert ids <= chunks, "both are searchable"

    make_rules_pdf(b, tag="B2")  # the same path again: replaces its own document, nothing else
    again = cli("ingest", b)
    assert again.exit_code == 0, again.output
    after = _registry_files(tmp_settings)
    assert after == files
    texts = [t for t, m in zip(*Store(tmp_settings).all_chunks()[1:]) if m["doc_id"] == other]
    assert any("Rule set B2" in t for t in texts) and not any("Rule set B1" in t for t in texts)


def test_adhoc_file_named_like_a_manifest_document_does_not_replace_it(tmp_settings, tmp_path, cli):
    assert cli("ingest").exit_code == 0
    before = Store(tmp_settings).registry()["doc-a"]
    stray = make_rules_pdf(tmp_path / "elsewhere" / "doc-a.pdf", tag="STRAY")
    result = cli("ingest", stray)
    assert result.exit_code == 0, result.output
    reg = Store(tmp_settings).registry()
    assert reg["doc-a"] == before, "the manifest document is untouched"
    assert [d for d, r in reg.items() if r.get("file") == str(stray.resolve())] != ["doc-a"]
