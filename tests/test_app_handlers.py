"""The chat's handlers without a browser: a streamed answer ends in a signed answer the export accepts."""
from __future__ import annotations

import json

import pytest

from ingest.errors import CarbonQAError
from ingest.settings import Settings
from stub_assistant import QUOTE, StubAssistant


@pytest.fixture
def handlers(tmp_path):
    """ChatHandlers over a ChatService over the stub assistant."""
    from assistant.ui.handlers import ChatHandlers
    from assistant.ui.service import ChatService

    service = ChatService(Settings(data_dir=tmp_path / ".carbonqa", corpus_dir=tmp_path / "corpus"),
                          assistant=StubAssistant())
    yield ChatHandlers(service)
    service.files.cleanup()


def test_respond_streams_then_hands_over_a_signed_answer(handlers):
    from assistant.ui.handlers import CHAT_OUTPUTS

    updates = [dict(zip(CHAT_OUTPUTS, u)) for u in handlers.respond(
        "What is a  project proponent?", [], [], [], [], [], "extractive")]
    final = updates[-1]
    assert final["asked"] == ["What is a project proponent?"]
    assert QUOTE.split()[0] in final["chat"][-1]["content"]
    md, js = handlers.export(final["answer"])
    assert json.loads(open(js, encoding="utf-8").read())["citations"][0]["quote"] == QUOTE
    assert handlers.give("up")(final["answer"], "useful")[0].startswith("Thanks: recorded as helpful")


def test_api_errors_are_gradio_errors(handlers):
    import gradio as gr

    with pytest.raises(gr.Error, match="not issued by this server"):
        handlers.export(json.dumps({"question": "q", "answer": "a", "citations": []}))
    with pytest.raises(gr.Error, match="verdict"):
        handlers.feedback_api(json.dumps({"question": "q", "answer": "a"}), "meh")


def test_history_accepts_strings_and_messages():
    from assistant.ui.handlers import history_list

    assert history_list('["a", "b"]') == ["a", "b"]
    assert history_list([{"role": "user", "content": "q1"}, {"role": "assistant", "content": "x"}]) == ["q1"]
    assert history_list("") == []
    with pytest.raises(CarbonQAError, match="JSON list"):
        history_list('{"a": 1}')
