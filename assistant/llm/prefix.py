"""Fixed prompt prefixes kept as llama.cpp states: the rules and worked example are read once per process.

Every answer prompt starts with the same system rules and worked example (about 250 tokens), and a
2-core CPU reads a prompt at 30–150 tokens/s. llama.cpp already reuses the part of a prompt that
matches the previous one, but a different prompt in between (a follow-up rewrite, the other
answer mode) throws that away. Here each fixed prefix is evaluated once, its key/value
state kept, and restored before any prompt that starts with it and finds something else loaded.
Correctness never depends on this: llama.cpp itself compares the restored tokens with the prompt's
and evaluates everything after the first difference.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import numpy as np

_MARK = "\u2063CARBONQA-PREFIX-END\u2063"


def prefix_text(llama: Any, fixed: list[dict]) -> str | None:
    """The chat template's rendering of the fixed messages up to where the final user message starts."""
    from llama_cpp import llama_chat_format

    template = (getattr(llama, "metadata", None) or {}).get("tokenizer.chat_template")
    if not template:
        return None
    formatter = llama_chat_format.Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
    rendered = formatter(messages=[*fixed, {"role": "user", "content": _MARK}]).prompt
    cut = rendered.find(_MARK)
    return rendered[:cut] if cut > 0 else None


def _slim(llama: Any, state: Any) -> Any:
    """The state without its logits: a restored prefix is always followed by fresh tokens to decode.

    Llama.load_state broadcasts the stored scores into its own rows, so one zero row stands in
    for ~150 MB of prefix logits that sampling never reads.
    """
    from llama_cpp.llama import LlamaState

    return LlamaState(
        input_ids=state.input_ids.copy(), scores=np.zeros((1, llama.n_vocab()), dtype=np.single),
        n_tokens=state.n_tokens, llama_state=state.llama_state, llama_state_size=state.llama_state_size,
        seed=state.seed,
    )


def _loaded_starts_with(llama: Any, tokens: list[int]) -> bool:
    """Whether the model's current context begins with these tokens."""
    return llama.n_tokens >= len(tokens) and list(llama.input_ids[: len(tokens)]) == tokens


class PrefixStates:
    """Up to `limit` fixed-prefix states of one loaded model, most recently used kept."""

    MIN_TOKENS = 32  # below this, restoring costs about what reading costs

    def __init__(self, limit: int = 4):
        self.limit = limit
        self._states: OrderedDict[str, tuple[list[int], Any] | None] = OrderedDict()
        self.restored = 0  # how many prompts got their prefix back from a stored state (for tests, bench)

    def prepare(self, llama: Any, messages: list[dict]) -> None:
        """Before generating from `messages`: make the model's context start with their fixed prefix.

        The fixed prefix is every message but the last (system rules, worked example). Called
        under the model's lock.
        """
        fixed = messages[:-1]
        if not fixed:
            return
        key = json.dumps(fixed, sort_keys=True)
        if key not in self._states:
            self._states[key] = self._build(llama, fixed)
            while len(self._states) > self.limit:
                self._states.popitem(last=False)
        self._states.move_to_end(key)
        entry = self._states[key]
        if entry is None:
            return
        tokens, state = entry
        if not _loaded_starts_with(llama, tokens):
            llama.load_state(state)
            self.restored += 1

    def _build(self, llama: Any, fixed: list[dict]) -> tuple[list[int], Any] | None:
        """Evaluate the prefix once and keep its state; None when the template gives no clean prefix."""
        text = prefix_text(llama, fixed)
        if not text:
            return None
        # The last token could merge with the text that follows it in the real prompt; leave it out.
        tokens = llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)[:-1]
        if len(tokens) < self.MIN_TOKENS:
            return None
        if not _loaded_starts_with(llama, tokens) or llama.n_tokens != len(tokens):
            llama.reset()
            llama.eval(tokens)
        return tokens, _slim(llama, llama.save_state())
