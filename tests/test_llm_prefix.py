"""Fixed prompt prefixes (rules + worked example) kept as llama.cpp states, with real SmolLM2 generation."""
from __future__ import annotations

import pytest

from assistant.answering.llm_answer import REWRITE_SYSTEM, build_messages
from assistant.llm.providers import LlamaCppChat, load_llama, prefix_states
from llm_fixtures import policy_passages, smol_path  # noqa: F401

pytestmark = pytest.mark.llm


def _chat(path, reuse: bool) -> LlamaCppChat:
    """A greedy SmolLM2 chat model sharing one loaded llama.cpp context."""
    return LlamaCppChat(model_path=path, n_ctx=2048, n_threads=1, max_tokens=24, reuse_prefix=reuse)


def test_restored_prefix_gives_the_same_reply_as_reading_it(smol_path):
    """After another prompt, the answer prompt's rules come back from the kept state; the reply is unchanged."""
    question = build_messages("How long is the crediting period?", policy_passages(), compact=True)
    other = [("system", REWRITE_SYSTEM), ("human", "And the buffer?")]
    reuse, plain = _chat(smol_path, True), _chat(smol_path, False)

    first = reuse.invoke(question).content
    states = prefix_states(smol_path, 2048, 1)
    llama, _ = load_llama(smol_path, 2048, 1)
    before = states.restored
    plain.invoke(other)  # a different prompt replaces the context
    again = reuse.invoke(question).content
    assert states.restored == before + 1
    plain.invoke(other)
    read = plain.invoke(question).content  # the whole prompt read from scratch
    assert again == first == read
    assert llama.n_tokens > 0


def test_prefix_is_a_true_prefix_of_the_prompt(smol_path):
    """The kept tokens are exactly the start of what llama.cpp reads for the full prompt."""
    from assistant.llm.prefix import prefix_text

    llama, _ = load_llama(smol_path, 2048, 1)
    msgs = [{"role": m.type.replace("human", "user").replace("ai", "assistant"), "content": m.text}
            for m in build_messages("Who checks the monitoring report?", policy_passages(), compact=True)]
    text = prefix_text(llama, msgs[:-1])
    assert text and "<passage" in text  # the worked example is part of the fixed prefix
    assert "Who checks" not in text
