"""Store: chunks and vectors in Chroma, plus a per-document registry that makes swaps atomic.

Readers only see chunks whose (doc_id, doc_sha256) matches the registry, so a changed
document is swapped by adding the new chunks, flipping one registry record, then deleting
the old chunks: at no moment does a reader see both versions or neither.
"""
from __future__ import annotations

import hashlib
import json
from urllib.parse import urlparse

import numpy as np

from ingest.errors import CarbonQAError, ReindexNeeded
from ingest.models import Chunk
from ingest.sentvecs import SentenceVectors
from ingest.settings import Settings

BATCH = 1000


def _client(settings: Settings):
    """Embedded PersistentClient, or HttpClient when CARBONQA_CHROMA_URL is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or 8000,
                ssl=url.scheme == "https", settings=chroma_settings,
            )
        except Exception as exc:
            raise CarbonQAError(f"Chroma server {settings.chroma_url} unreachable: {exc}") from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


class Store:
    """The index: a chunk collection and a document registry collection."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = _client(settings)
        self.chunk_name = settings.collection
        self.doc_name = f"{settings.collection}-docs"
        self.sentences = SentenceVectors(settings.data_dir / "sentences" / settings.collection,
                                         settings.index_digest)
        self._open()

    def _open(self) -> None:
        """Open or create both collections; never with Chroma's downloading default embedder."""
        meta = {
            "embedding_model": self.settings.embedding_model,
            "index_digest": self.settings.index_digest,
            "chunk_tokens": self.settings.chunk_tokens,
            "chunk_overlap_tokens": self.settings.chunk_overlap_tokens,
        }
        self.chunks = self.client.get_or_create_collection(
            self.chunk_name, embedding_function=None, metadata=meta,
            configuration={"hnsw": {"space": "cosine"}},
        )
        self.docs = self.client.get_or_create_collection(self.doc_name, embedding_function=None)

    def check_settings(self) -> None:
        """Raise ReindexNeeded when the index was built with other index settings."""
        stored = (self.chunks.metadata or {}).get("index_digest")
        if stored and stored != self.settings.index_digest and self.docs.count():
            model = (self.chunks.metadata or {}).get("embedding_model")
            raise ReindexNeeded(
                f"the index was built with other settings (embedding model {model}, digest {stored}; "
                f"now {self.settings.embedding_model}, {self.settings.index_digest}): "
                "re-ingest needed — run `carbonqa ingest --force`"
            )

    def reset(self) -> None:
        """Drop everything (used by --force)."""
        for name in (self.chunk_name, self.doc_name):
            try:
                self.client.delete_collection(name)
            except Exception:  # absent collection: nothing to drop
                pass
        self.sentences.reset()
        self._open()

    def registry(self) -> dict[str, dict]:
        """Every document record: active sha256, pages, chunks, status, last error."""
        got = self.docs.get(include=["metadatas"])
        return {i: dict(m) for i, m in zip(got["ids"], got["metadatas"])}

    def put_record(self, doc_id: str, record: dict) -> None:
        """Write one registry record; this single write is the atomic switch."""
        clean = {k: v for k, v in record.items() if v is not None}
        self.docs.upsert(ids=[doc_id], embeddings=[[1.0]], metadatas=[clean], documents=[doc_id])

    def add_chunks(self, chunks: list[Chunk], vectors: np.ndarray,
                   sentences: tuple[list, list] | None = None) -> None:
        """Upsert chunks (idempotent: ids derive from sha256 and offsets), and their sentence vectors.

        `sentences` is (spans per chunk, vectors per chunk); it is written before the chunks so
        that the registry switch, which comes after both, never exposes chunks without it.
        """
        if sentences and chunks:
            self.sentences.write(chunks[0].doc_id, chunks[0].doc_sha256, [c.id for c in chunks], *sentences)
        for i in range(0, len(chunks), BATCH):
            part = chunks[i: i + BATCH]
            self.chunks.upsert(
                ids=[c.id for c in part], embeddings=vectors[i: i + BATCH],
                documents=[c.text for c in part], metadatas=[c.metadata() for c in part],
            )

    def collect_garbage(self, doc_id: str, active_sha: str | None) -> None:
        """Delete chunks of doc_id that belong to any version other than the active one."""
        where: dict = {"doc_id": doc_id}
        if active_sha:
            where = {"$and": [{"doc_id": doc_id}, {"doc_sha256": {"$ne": active_sha}}]}
        self.chunks.delete(where=where)
        self.sentences.drop(doc_id, active_sha)

    def purge(self, doc_id: str) -> None:
        """Remove a document: its record first (readers stop seeing it), then its chunks."""
        self.docs.delete(ids=[doc_id])
        self.collect_garbage(doc_id, None)

    def active(self) -> dict[str, str]:
        """doc_id -> active sha256 for documents that have an ingested version."""
        return {d: r["sha256"] for d, r in self.registry().items() if r.get("sha256")}

    def sentence_table(self) -> dict[str, dict[int, np.ndarray]]:
        """Stored sentence vectors of the active versions: chunk id -> {offset: vector}."""
        return self.sentences.load(self.active())

    def standalone_table(self) -> dict[str, np.ndarray]:
        """Sentences encoded on their own, of the active versions that have them: text -> vector."""
        return self.sentences.load_solo(self.active())

    def index_version(self) -> str:
        """Changes whenever the set of active document versions changes."""
        payload = json.dumps(sorted(self.active().items()) + [self.settings.index_digest])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def all_chunks(self) -> tuple[list[str], list[str], list[dict]]:
        """Ids, texts and metadata of every active chunk (for BM25)."""
        active = self.active()
        ids, texts, metas = [], [], []
        total = self.chunks.count()
        for off in range(0, total, 5000):
            got = self.chunks.get(include=["documents", "metadatas"], limit=5000, offset=off)
            for i, t, m in zip(got["ids"], got["documents"], got["metadatas"]):
                if active.get(m["doc_id"]) == m["doc_sha256"]:
                    ids.append(i)
                    texts.append(t)
                    metas.append(m)
        return ids, texts, metas

    def query(
        self, vector: np.ndarray, k: int, doc_ids: list[str] | None = None,
        active: dict[str, str] | None = None, total: int | None = None,
    ) -> list[tuple[str, str, dict, float]]:
        """Dense top-k as (id, text, metadata, cosine similarity), active versions only.

        Callers that cache the registry pass `active` and `total`: re-reading them per query
        grows with the number of documents and dominated retrieval time at 16x the corpus.
        """
        active = active if active is not None else self.active()
        where = {"doc_id": {"$in": list(doc_ids)}} if doc_ids else None
        n = min(k + 10, max(1, total if total is not None else self.chunks.count()))
        res = self.chunks.query(
            query_embeddings=[vector.tolist()], n_results=n, where=where,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for i, t, m, d in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]):
            if active.get(m["doc_id"]) == m["doc_sha256"]:
                out.append((i, t, m, 1.0 - float(d)))
        return out[:k]
