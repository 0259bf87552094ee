"""llm_timeout_s bounds a stalled generation, and llm_fallback decides what a failed provider means."""
from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from assistant.answering.llm_answer import LLMAnswerer, LLMUnavailable
from ingest.settings import Settings
from llm_fixtures import free_port, policy_passages
from small_index import V2, small_env, small_index  # noqa: F401  (fixtures)

QUESTION = "What does Project Proponent mean?"


class StallingChat(BaseChatModel):
    """Streams `pieces`, then stops producing until `release` is set (or `stall_s` passes)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    pieces: list[str] = []
    release: Any = None
    stall_s: float = 8.0
    gap_s: float = 0.0

    @property
    def _llm_type(self) -> str:
        """LangChain's name for the model type."""
        return "stalling-fake"

    def _generate(self, messages, stop=None, run_manager=None, **kw) -> ChatResult:
        """The whole reply, from the stream."""
        return generate_from_stream(self._stream(messages, stop, run_manager, **kw))

    def _stream(self, messages, stop=None, run_manager=None, **kw) -> Iterator[ChatGenerationChunk]:
        """The pieces, then a stall."""
        for piece in self.pieces:
            time.sleep(self.gap_s)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        if self.release is not None:
            self.release.wait(self.stall_s)
            yield ChatGenerationChunk(message=AIMessageChunk(content=" Too late. [1]"))


@pytest.fixture
def release():
    """Set at teardown so no stalled worker outlives its test."""
    ev = threading.Event()
    yield ev
    ev.set()


@pytest.mark.parametrize("pieces", [[], ["The crediting period", " is ten years."]])
def test_stalled_stream_times_out_at_the_deadline(tmp_path, release, pieces):
    settings = Settings(data_dir=tmp_path / ".carbonqa", llm_timeout_s=0.5)
    streamed: list[str] = []
    model = StallingChat(pieces=pieces, release=release)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"^LLM provider openai at .* timed out: no output for"):
        LLMAnswerer(settings, "openai", model=model).answer("How long?", policy_passages(), on_token=streamed.append)
    assert time.monotonic() - started < 3.0, "the wait ends at llm_timeout_s, not when the next token comes"
    assert "".join(streamed) == "".join(pieces), "what arrived before the stall was streamed"


def test_slow_but_steady_stream_is_not_a_timeout(tmp_path):
    settings = Settings(data_dir=tmp_path / ".carbonqa", llm_timeout_s=0.5)
    model = StallingChat(pieces=["It may ", "be renewed ", "twice. [1]"], gap_s=0.3)
    r = LLMAnswerer(settings, "openai", model=model).answer("Renew?", policy_passages())
    assert r.raw == "It may be renewed twice. [1]" and not r.abstained


def _assistant(settings: Settings, **update):
    from assistant.answering.answer import Assistant

    return Assistant(settings.model_copy(update=update))


def _stall(monkeypatch, release) -> None:
    """Every LLM the answerer builds stalls before its first token."""
    import assistant.answering.llm_answer as llm_answer

    monkeypatch.setattr(llm_answer, "chat_model", lambda *a, **k: StallingChat(release=release))


@pytest.mark.slow
def test_failed_provider_falls_back_to_extractive_when_allowed(small_index, monkeypatch, release):
    unreachable = f"http://127.0.0.1:{free_port()}/v1"
    a = _assistant(small_index, llm_fallback=True, openai_base_url=unreachable, llm_timeout_s=0.5)
    ans = a.ask(QUESTION, answerer="llm", provider="openai")
    assert ans.answerer == "extractive" and ans.citations and not ans.abstained
    assert any("unreachable" in w and "llm_fallback" in w for w in ans.warnings), ans.warnings

    _stall(monkeypatch, release)
    started = time.monotonic()
    ans = _assistant(small_index, llm_fallback=True, llm_timeout_s=0.5).ask(QUESTION, answerer="llm",
                                                                         provider="openai")
    assert time.monotonic() - started < 5, "the stall ends at llm_timeout_s, then extractive answers"
    assert ans.answerer == "extractive" and any("timed out" in w for w in ans.warnings), ans.warnings


@pytest.mark.slow
def test_failed_provider_is_a_clear_error_without_fallback(small_index, monkeypatch, release):
    unreachable = f"http://127.0.0.1:{free_port()}/v1"
    a = _assistant(small_index, llm_fallback=False, openai_base_url=unreachable, llm_timeout_s=0.5)
    with pytest.raises(LLMUnavailable, match=rf"^LLM provider openai at {unreachable} unreachable"):
        a.ask(QUESTION, answerer="llm", provider="openai")
    _stall(monkeypatch, release)
    with pytest.raises(LLMUnavailable, match=r"timed out: no output for"):
        _assistant(small_index, llm_fallback=False, llm_timeout_s=0.5).ask(QUESTION, answerer="llm", provider="openai")


@pytest.mark.slow
def test_cli_ask_with_failed_provider_is_one_line_exit_2(small_env, cli, monkeypatch):
    monkeypatch.setenv("CARBONQA_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    result = cli("ask", QUESTION, "--answerer", "llm", "--provider", "openai", "--doc", V2)
    assert result.exit_code == 2, result.output
    assert "unreachable" in result.output and "Traceback" not in result.output
