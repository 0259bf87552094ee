"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank, with filters and diversity.

A search object follows the index while it lives: every query checks (with one stat) whether
the store changed, re-reads the registry only then, and rebuilds BM25 only when the set of
active chunks changed. A query runs against one consistent view (registry, BM25, names), so
a re-ingest in the middle of it cannot mix two versions of a document.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.fusion import FAMILIES, aliases, families_in, merge, name_patterns, quota, rrf
from assistant.retrieval.lexical import LexicalIndex, bm25_cache_dir
from assistant.retrieval.thesaurus import plus_terms
from assistant.models import Passage
from ingest.embed import get_embedder
from ingest.errors import CarbonQAError
from ingest.settings import Settings
from ingest.store import Store

__all__ = ["FAMILIES", "CorpusRetriever", "Filters", "HybridSearch", "LexicalIndex", "bm25_cache_dir"]
# Dense candidates fetched once per question; the per-document searches read theirs off this pool.
OVERFETCH = 100
# A question naming more instruments than this is no comparison of them: a name shared by many
# documents (16 copies in the scaling bench) ran one restricted search each, 576 ms at p95.
MAX_COMPARED = 4
RACY_NS = 2_000_000_000  # a file changed this recently may change again within the same mtime tick


@dataclass
class Filters:
    """Metadata filters; every retrieval call applies them on both the dense and BM25 side."""

    doc_ids: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)

    def active(self) -> bool:
        """True when any filter is set."""
        return bool(self.doc_ids or self.categories or self.jurisdictions or self.issuers)

    def to_dict(self) -> dict:
        """Only the filters that are set."""
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class View:
    """One consistent state of the index; a query uses a single view from start to end."""

    version: str
    token: tuple | None
    racy: bool
    registry: dict[str, dict]
    active: dict[str, str]
    total: int
    lexical: LexicalIndex
    names: dict[str, dict[str, list[str]]]
    patterns: list

    @property
    def docs(self) -> dict[str, dict]:
        """Documents with an active version."""
        return {d: r for d, r in self.registry.items() if d in self.active}


class HybridSearch:
    """Dense + BM25 with reciprocal-rank fusion, per-document quotas and named-document coverage."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings)
        self.store.check_settings()
        self.embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
        self._view: View | None = None

    # ------------------------------------------------------------ following the index

    def _token(self) -> tuple | None:
        """A cheap fingerprint of the embedded store's database file; None for a Chroma server."""
        if self.settings.chroma_url:
            return None
        try:
            st = os.stat(self.settings.chroma_path / "chroma.sqlite3")
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def current(self) -> View:
        """The view for this query: the cached one while the store is unchanged (one stat), else re-read."""
        token = self._token()
        view = self._view
        if view is not None and token is not None and token == view.token and not view.racy:
            return view
        return self.refresh(token)

    def refresh(self, token: tuple | None = None) -> View:
        """Re-read the registry; rebuild BM25 and names only when the set of active versions changed."""
        token = token if token is not None else self._token()
        racy = token is None or time.time_ns() - token[2] < RACY_NS
        with self._lock:
            registry = self.store.registry()
            active = {d: r["sha256"] for d, r in registry.items() if r.get("sha256")}
            version = _version(active, self.settings.index_digest)
            old = self._view
            if old is not None and old.version == version:
                view = replace(old, token=token, racy=racy, registry=registry)
            else:
                view = self._build(registry, active, version, token, racy)
            self._view = view
            return view

    def _build(self, registry: dict, active: dict[str, str], version: str, token, racy: bool) -> View:
        """BM25 over exactly the active chunks of this registry, and the names users call documents by."""
        for attempt in range(3):
            ids, texts, metas = [], [], []
            total = self.store.chunks.count()
            for off in range(0, total, 5000):
                got = self.store.chunks.get(include=["documents", "metadatas"], limit=5000, offset=off)
                for i, t, m in zip(got["ids"], got["documents"], got["metadatas"]):
                    if active.get(m["doc_id"]) == m["doc_sha256"]:
                        ids.append(i)
                        texts.append(t)
                        metas.append(m)
            if ids or not active:
                break
            # Seen once with two processes opening the index together: the registry listed documents and
            # the chunk read came back empty. A moment later it reads whole.
            time.sleep(0.5 * (attempt + 1))
        else:
            raise CarbonQAError(f"{self.settings.chroma_path}: the registry lists {len(active)} documents but none "
                                "of their chunks could be read; retry, or run `carbonqa ingest` to rebuild the index")
        lexical = LexicalIndex(ids, texts, metas, bm25_cache_dir(self.settings.data_dir, ids))
        names = {d: aliases(d, registry[d]) for d in active}
        return View(version, token, racy, registry, active, total, lexical, names, name_patterns(names))

    # ------------------------------------------------------------ what answer.py and the UI read

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 side of the current view."""
        return self.current().lexical

    @property
    def registry(self) -> dict[str, dict]:
        """Ingested documents by id."""
        return self.current().registry

    @property
    def _version(self) -> str:
        """Index version of the current view (answer.py keys its IDF table by it)."""
        return self.current().version

    def documents(self) -> dict[str, dict]:
        """Documents that have an active version (searchable)."""
        return self.current().docs

    def resolve(self, filters: Filters | None, view: View | None = None) -> list[str] | None:
        """Turn filters into the set of allowed document ids; unknown values are errors."""
        if filters is None or not filters.active():
            return None
        docs = (view or self.current()).docs
        unknown = [d for d in filters.doc_ids if d not in docs]
        if unknown:
            raise CarbonQAError(f"unknown document id(s) in filter: {', '.join(unknown)} (see `carbonqa corpus list`)")
        cats = {r.get("category") for r in docs.values()}
        bad = [c for c in filters.categories if c not in cats]
        if bad:
            raise CarbonQAError(f"no ingested document has category {', '.join(bad)}; known: {', '.join(sorted(cats))}")
        allowed = []
        for d, r in docs.items():
            if filters.doc_ids and d not in filters.doc_ids:
                continue
            if filters.categories and r.get("category") not in filters.categories:
                continue
            juris = [j.lower() for j in r.get("jurisdictions", "").strip("|").split("|")]
            if filters.jurisdictions and not any(j.lower() in juris for j in filters.jurisdictions):
                continue
            if filters.issuers and not any(i.lower() in r.get("issuer", "").lower() for i in filters.issuers):
                continue
            allowed.append(d)
        if not allowed:
            raise CarbonQAError(f"no ingested document matches the filters {filters.to_dict()}")
        return allowed

    def named_families(self, query: str, allowed: list[str] | None, view: View | None = None) -> dict[str, list[str]]:
        """Document families the question names (e.g. 'Gold Standard', 'VCS'), with their ids."""
        view = view or self.current()
        return families_in(query.lower(), view.patterns, set(allowed) if allowed is not None else None)

    def topic(self, query: str, allowed: list[str] | None = None, view: View | None = None) -> str:
        """The question without the names of the documents it mentions (they say where, not what)."""
        import re

        view = view or self.current()
        out = query
        for docs in self.named_families(query, allowed, view).values():
            for d in docs:
                for names in view.names[d].values():
                    for n in sorted(names, key=len, reverse=True):
                        out = re.sub(rf"\b{re.escape(n)}\b", " ", out, flags=re.I)
        out = re.sub(r"\b(glossary|manual|document|rulebook)\b", " ", out, flags=re.I)
        return " ".join(out.split()) or query

    # ------------------------------------------------------------ search

    def search(self, query: str, filters: Filters | None = None, k: int | None = None) -> list[Passage]:
        """Fused top-k passages with their dense and BM25 ranks; one query embedding per question."""
        s = self.settings
        k = k or s.top_k
        view = self.current()
        allowed = self.resolve(filters, view)
        expanded = view.lexical.expand(query)
        # The one embedding also serves the per-document searches below: they are restricted to
        # the named documents, so the names in the question shift every candidate alike, and a
        # second encode of the same question cost as much as the rest of retrieval together.
        vec = self.embedder.embed([expanded])[0]
        pool, complete = self.nearest(view, vec, s.dense_k + 10 if allowed else max(OVERFETCH, s.dense_k + 10), allowed)
        passages = self._fuse(view, expanded, pool[: s.dense_k], allowed, s.bm25_k)
        named = self.named_families(query, allowed, view)
        if 2 <= len(named) <= MAX_COMPARED:
            # A question about two instruments must see both, not the louder one twice.
            topic = view.lexical.expand(self.topic(query, allowed, view))
            for docs in named.values():
                if sum(p.doc_id in docs for p in passages[:k]) < 2:
                    dense = self._within(view, vec, pool, complete, docs, 10)
                    passages = merge(passages, self._fuse(view, topic, dense, docs, 10)[:2], k)
        elif len(named) == 1 and allowed is None:
            docs = next(iter(named.values()))
            topic = view.lexical.expand(self.topic(query, allowed, view))
            dense = self._within(view, vec, pool, complete, docs, 10)
            passages = merge(passages, self._fuse(view, topic, dense, docs, 10)[:3], k)
        return quota(passages, k, s.per_doc_quota)

    def nearest(self, view: View, vec: np.ndarray, n: int, docs=None) -> tuple[list[tuple[str, float]], bool]:
        """Active chunks nearest to vec as (id, cosine), best first; and whether that is every chunk.

        Ids and distances only: texts and metadata come from the view (BM25 holds every active
        chunk), which saves Chroma's metadata fetch, most of a dense query's time.
        """
        n = max(1, min(n, view.total))
        res = self.store.chunks.query(
            query_embeddings=[vec.tolist()], n_results=n, include=["distances"],
            where={"doc_id": {"$in": list(docs)}} if docs else None,
        )
        ids, dists = res["ids"][0], res["distances"][0]
        row_of = view.lexical.row_of  # only the view's active versions: no stale or newer chunk
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists) if i in row_of], len(ids) < n or n >= view.total

    def _within(self, view: View, vec, pool, complete: bool, docs: list[str], k: int) -> list[tuple[str, float]]:
        """Dense top-k inside `docs`: read off the over-fetched pool, queried apart only if it holds too few."""
        wanted, lex = set(docs), view.lexical
        hits = [(cid, sim) for cid, sim in pool if lex.metas[lex.row_of[cid]]["doc_id"] in wanted][:k]
        if len(hits) < k and not complete:
            hits = self.nearest(view, vec, k + 10, docs)[0][:k]
        return hits

    def _fuse(self, view: View, query: str, dense: list[tuple[str, float]], allowed, bm25_k: int) -> list[Passage]:
        """Reciprocal-rank fusion of a dense ranking and the BM25 ranking, both from one view."""
        s, lex = self.settings, view.lexical
        # the BM25 side only: the dense side already places "auditor" near "verification body"
        rows = lex.search(plus_terms(query), bm25_k, set(allowed) if allowed is not None else None)
        lexical = [(lex.ids[r], lex.texts[r], lex.metas[r], score) for r, score in rows]
        dense_rows = [(cid, lex.texts[r], lex.metas[r], sim) for cid, sim in dense for r in (lex.row_of[cid],)]
        return rrf(dense_rows, lexical, s.rrf_k, s.dense_weight, s.bm25_weight)


def _version(active: dict[str, str], index_digest: str) -> str:
    """Store.index_version() computed from a registry already read (same formula; a test pins it)."""
    payload = json.dumps(sorted(active.items()) + [index_digest])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


class CorpusRetriever(BaseRetriever):
    """LangChain face of HybridSearch: documents carry page, section, scores and trace."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    search: HybridSearch
    filters: Filters | None = None
    k: int = 8

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        """Hybrid search results as LangChain Documents."""
        t = time.perf_counter()
        passages = self.search.search(query, self.filters, self.k)
        ms = (time.perf_counter() - t) * 1000
        return [Document(page_content=p.text, metadata={**p.to_dict(), "retrieval_ms": ms}) for p in passages]


def passages_from_documents(docs: list[Document]) -> list[Passage]:
    """Back from LangChain Documents to Passages."""
    fields = Passage.__dataclass_fields__
    return [Passage(**{k: v for k, v in d.metadata.items() if k in fields}) for d in docs]


def dumps_trace(passages: list[Passage]) -> str:
    """Compact retrieval trace for logs and the UI."""
    return json.dumps([
        {"id": p.id, "doc": p.doc_id, "page": p.page_start, "dense": p.dense_rank, "bm25": p.bm25_rank, "fused": p.score}
        for p in passages
    ])
