"""`carbonqa config show` and `carbonqa corpus list` without an index."""
from __future__ import annotations

import json
import os

from conftest import CORPUS


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("config", "corpus", "ingest"):
        assert command in result.output


def test_config_show_json_reports_env_and_derived_values(cli, hermetic_env):
    result = cli("config", "show", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["data_dir"] == str(hermetic_env)
    assert data["chroma_path"] == str(hermetic_env / "chroma")
    assert data["manifest_path"] == str(CORPUS / "manifest.yaml")
    assert data["index_digest"] and data["embedding_model"] == "all-MiniLM-L6-v2"
    assert data["openai_api_key"] == "***", "secrets are masked"


def test_config_file_and_env_precedence(cli, tmp_path, monkeypatch):
    config = tmp_path / "carbonqa.toml"
    config.write_text('top_k = 5\nanswerer = "llm"\n')
    monkeypatch.setenv("CARBONQA_CONFIG", str(config))
    monkeypatch.setenv("CARBONQA_ANSWERER", "extractive")
    data = json.loads(cli("config", "show", "--json").output)
    assert data["top_k"] == 5, "read from carbonqa.toml"
    assert data["answerer"] == "extractive", "env beats the file"
    assert data["config_file_exists"] is True


def test_config_show_table(cli, hermetic_env):
    result = cli("config", "show")
    assert result.exit_code == 0
    assert "embedding_model" in result.output and "chunk_tokens" in result.output
    assert "(derived)" in result.output


def test_corpus_list_without_index(cli, hermetic_env):
    result = cli("corpus", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 30
    statuses = {r["status"] for r in rows}
    assert statuses == {"bundled", "missing"}
    assert sum(r["status"] == "bundled" for r in rows) == 16
    bundled = next(r for r in rows if r["id"] == "verra-vcs-standard-v4.7-2024")
    assert bundled["category"] == "standard" and bundled["version"] == "4.7" and bundled["pages"] == 0
    assert os.path.exists(bundled["file"])
    missing = next(r for r in rows if r["id"] == "paris-agreement-2015")
    assert "carbonqa corpus fetch" in missing["error"]
    assert not hermetic_env.exists(), "listing creates no index"
    table = cli("corpus", "list")
    assert table.exit_code == 0 and "16 bundled, 14 missing" in table.output
