"""LLM providers → one LangChain chat model: local GGUF (llama.cpp), OpenAI-compatible, Ollama."""
from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from assistant.llm.prefix import PrefixStates
from assistant.llm.setup import KNOWN_SHA256, verify
from ingest.errors import CarbonQAError
from ingest.settings import Settings

PROVIDERS = ("llamacpp", "openai", "ollama")
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_LOADED: dict[tuple, tuple[Any, threading.Lock]] = {}
_PREFIXES: dict[tuple, PrefixStates] = {}
_LOAD_LOCK = threading.Lock()


class LLMUnavailable(CarbonQAError):
    """The LLM provider cannot be reached, timed out or cannot load its model; extractive can stand in."""


def _llama_cpp():
    """The llama_cpp package, imported with OpenMP threads that sleep rather than spin."""
    # libgomp reads this once, when llama.cpp's library loads, so it must be set before the
    # first import. Spin-waiting threads slow a 2-core machine shared with other work 10-40x.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
    except ImportError:
        raise LLMUnavailable("the local LLM is not installed (no llama-cpp-python): run `make llm`, "
                             "or use the extractive answerer") from None

    return llama_cpp


def avoid_amx_fault() -> bool:
    """On AMX CPUs, make llama.cpp skip its AMX/repack weight buffers; True when applied.

    llama.cpp's AMX matmul builds an invalid tile config and dies with a general protection
    fault on the first batched decode (ggml-org/llama.cpp#20824, fix pending in #26954);
    this machine's Xeon reproduces it with both Qwen and SmolLM2. Llama() has no argument
    for llama_model_params.use_extra_bufts, so the default-params factory is wrapped,
    once per process. Costs the repacked kernels; plain CPU kernels are used instead.
    """
    try:
        if "amx_int8" not in Path("/proc/cpuinfo").read_text():
            return False
    except OSError:
        return False
    C = _llama_cpp().llama_cpp

    if getattr(C.llama_model_default_params, "carbonqa_patched", False):
        return True
    default = C.llama_model_default_params

    def params():
        """llama.cpp's default model parameters, without the extra weight buffers."""
        p = default()
        p.use_extra_bufts = False
        return p

    params.carbonqa_patched = True  # type: ignore[attr-defined]
    C.llama_model_default_params = params
    return True


def _key(path: Path, n_ctx: int, n_threads: int) -> tuple:
    """What identifies one loaded model: its file, context size and threads."""
    return (str(path.resolve()), n_ctx, n_threads)


def load_llama(path: Path, n_ctx: int, n_threads: int) -> tuple[Any, threading.Lock]:
    """One llama.cpp model per (file, context, threads) per process, with the lock that serialises it."""
    key = _key(path, n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            Llama = _llama_cpp().Llama
            avoid_amx_fault()
            try:
                llama = Llama(
                    str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                    n_batch=512, seed=0, verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as e:
                raise LLMUnavailable(f"LLM provider llamacpp could not load {path}: {e}") from e
            _LOADED[key] = (llama, threading.Lock())
            _PREFIXES[key] = PrefixStates()
        return _LOADED[key]


def prefix_states(path: Path, n_ctx: int, n_threads: int) -> PrefixStates | None:
    """The fixed-prefix states of a model load_llama has loaded (None before that)."""
    return _PREFIXES.get(_key(path, n_ctx, n_threads))


class LlamaCppChat(BaseChatModel):
    """A thin LangChain chat model over llama-cpp-python's chat completion, streaming.

    Not langchain_community's ChatLlamaCpp: that one passes rope_freq_base=10000 to every
    model, overriding the GGUF's own value (Qwen2.5 uses 1e6) and degrading its output; it
    also reloads the weights per instance and lives in a package being sunset.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 320
    temperature: float = 0.0
    reuse_prefix: bool = True  # restore the kept state of the fixed messages (assistant/llm/prefix.py)

    @property
    def _llm_type(self) -> str:
        """LangChain's name for this model type."""
        return "carbonqa-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """What distinguishes one instance from another in traces."""
        return {"model_path": str(self.model_path), "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        """Whole reply, assembled from the stream."""
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream the reply piece by piece."""
        llama, lock = load_llama(self.model_path, self.n_ctx, self.n_threads)
        dicts = [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]
        params = {"max_tokens": self.max_tokens, "temperature": self.temperature, "stop": stop or [], **kwargs}
        # One llama.cpp context cannot serve two generations at once; the chat UI may try.
        with lock:
            try:
                if self.reuse_prefix:
                    prefix_states(self.model_path, self.n_ctx, self.n_threads).prepare(llama, dicts)
                for part in llama.create_chat_completion(messages=dicts, stream=True, **params):
                    piece = (part["choices"][0].get("delta") or {}).get("content") or ""
                    if not piece:
                        continue
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                    if run_manager:
                        run_manager.on_llm_new_token(piece, chunk=chunk)
                    yield chunk
            except ValueError as e:  # llama.cpp reports an over-long prompt as ValueError
                raise CarbonQAError(
                    f"the prompt does not fit the model context ({self.n_ctx} tokens): {e}; "
                    "raise CARBONQA_LLM_CTX or lower CARBONQA_TOP_K"
                ) from e


def stream_with_deadline(model: BaseChatModel, messages: list[BaseMessage], limit: float) -> Iterator[tuple[str, object]]:
    """("piece", text) as the model streams, then ("error", exc) or ("stalled", seconds) or nothing.

    The model runs on a daemon thread feeding a queue; waiting on the queue with a timeout is
    what bounds a stall. A stalled worker is told to stop at its next piece and otherwise left
    to finish on its own (a blocked C call cannot be interrupted from Python).
    """
    out: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        """Worker: every piece onto the queue, then an end marker."""
        stream = model.stream(messages)
        try:
            for chunk in stream:
                if stop.is_set():
                    return
                out.put(("piece", chunk.content if isinstance(chunk.content, str) else chunk.text))
            out.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which decides what it means
            out.put(("error", exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # ends the model's own generator, releasing e.g. the llama.cpp lock

    threading.Thread(target=work, daemon=True, name="carbonqa-llm-stream").start()
    last = time.monotonic()
    try:
        while True:
            try:
                kind, value = out.get(timeout=max(0.0, limit - (time.monotonic() - last)))
            except queue.Empty:
                yield "stalled", time.monotonic() - last
                return
            if kind == "end":
                return
            yield kind, value
            if kind == "error":
                return
            last = time.monotonic()
    finally:
        stop.set()


def location(settings: Settings, provider: str, model_path: Path | None = None) -> str:
    """Where a provider lives, for error messages: a URL or a model file."""
    if provider == "openai":
        return settings.openai_base_url
    if provider == "ollama":
        return settings.ollama_url
    return str(model_path or settings.model_path)


def chat_model(
    settings: Settings, provider: str, *, max_tokens: int | None = None,
    model_path: Path | None = None, sha256: str | None = "known",
) -> BaseChatModel:
    """A streaming chat model for a provider; temperature 0 so answers are repeatable.

    For llamacpp the file is settings.model_path unless `model_path` is given; its SHA-256
    is checked against KNOWN_SHA256 (by file name) when sha256 is "known", against an
    explicit digest when one is given, and not at all when sha256 is None.
    """
    max_tokens = max_tokens or settings.llm_max_tokens
    if provider == "llamacpp":
        path = Path(model_path or settings.model_path)
        expected = KNOWN_SHA256.get(path.name) if sha256 == "known" else sha256
        try:
            verify(path, expected)
        except CarbonQAError as e:
            # A missing file is "unavailable" (fallback may stand in); a wrong hash is not:
            # a corrupt or substituted model must be fixed, never papered over.
            if not path.is_file():
                raise LLMUnavailable(str(e)) from None
            raise
        return LlamaCppChat(
            model_path=path, n_ctx=settings.llm_ctx, n_threads=settings.llm_threads, max_tokens=max_tokens,
        )
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        # max_retries=0: a dead server should fail within the timeout, not three times over,
        # so that the extractive fallback answers promptly.
        return ChatOpenAI(
            model=settings.openai_model, base_url=settings.openai_base_url, api_key=settings.openai_api_key,
            timeout=settings.llm_timeout_s, max_retries=0, max_tokens=max_tokens, temperature=0.0,
            streaming=True,
        )
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.ollama_model, base_url=settings.ollama_url, num_predict=max_tokens,
            num_ctx=settings.llm_ctx, temperature=0.0, client_kwargs={"timeout": settings.llm_timeout_s},
        )
    raise CarbonQAError(f"unknown LLM provider '{provider}' ({', '.join(PROVIDERS)})")


def unavailable(provider: str, where: str, exc: BaseException) -> LLMUnavailable | None:
    """The LLMUnavailable for a provider failure (unreachable, timeout, server error), else None."""
    import httpx

    kinds: list[type[BaseException]] = [httpx.HTTPError, ConnectionError, TimeoutError]
    try:
        import openai

        kinds.append(openai.APIError)
    except ImportError:  # the openai provider is optional
        pass
    try:
        import ollama

        kinds.append(ollama.ResponseError)
    except ImportError:  # the ollama provider is optional
        pass
    if not isinstance(exc, tuple(kinds)):
        return None
    text = str(exc).strip()
    if isinstance(getattr(exc, "status_code", None), int):
        what = f"returned HTTP {exc.status_code}"  # type: ignore[attr-defined]
    elif isinstance(exc, (TimeoutError, httpx.TimeoutException)) or "timed out" in text.lower():
        what = "timed out"
    else:
        what = "unreachable"
    detail = text.splitlines()[0] if text else type(exc).__name__
    # openai says only "Connection error."; the reason (refused, DNS…) is at the chain's root.
    root, depth = exc, 0
    while (root.__cause__ or root.__context__) is not None and depth < 8:
        root, depth = root.__cause__ or root.__context__, depth + 1
    reason = str(root).strip().splitlines()[0] if str(root).strip() else ""
    if reason and reason not in detail:
        detail += f" ({reason})"
    return LLMUnavailable(f"LLM provider {provider} at {where} {what}: {detail}")
