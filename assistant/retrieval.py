"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank, with filters and diversity."""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.models import Passage
from assistant.text import expand_query, learn_acronyms, tokenize
from ingest.embed import get_embedder
from ingest.errors import CarbonQAError
from ingest.settings import Settings
from ingest.store import Store


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


class LexicalIndex:
    """BM25 over the active chunks, built once per index version and cached on disk."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict], cache_dir=None):
        import bm25s

        self.ids, self.texts, self.metas = ids, texts, metas
        self.doc_of = np.array([m["doc_id"] for m in metas])
        self.acronyms = learn_acronyms(texts)
        self.bm25 = None
        if cache_dir is not None and (cache_dir / "params.index.json").exists():
            try:
                self.bm25 = bm25s.BM25.load(str(cache_dir))
            except Exception:  # a damaged cache is rebuilt below
                self.bm25 = None
        if self.bm25 is None:
            self.bm25 = bm25s.BM25()
            heads = [f"{m.get('title', '')} {m.get('section', '')}" for m in metas]
            self.bm25.index([tokenize(h + "\n" + t) for h, t in zip(heads, texts)], show_progress=False)
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                self.bm25.save(str(cache_dir))
        self.vocab = self.bm25.vocab_dict

    def search(self, query: str, k: int, allowed: set[str] | None) -> list[tuple[int, float]]:
        """Top-k (row, score) for the query, restricted to allowed documents."""
        toks = [t for t in tokenize(query) if t in self.vocab]
        if not toks or not self.ids:
            return []
        scores = self.bm25.get_scores(toks)
        if allowed is not None:
            scores = np.where(np.isin(self.doc_of, list(allowed)), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class HybridSearch:
    """Dense + BM25 with reciprocal-rank fusion, per-document quotas and named-document coverage."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings)
        self.store.check_settings()
        self.embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
        self._lexical: LexicalIndex | None = None
        self._version = ""
        self._registry: dict[str, dict] = {}
        self._active: dict[str, str] = {}
        self._total = 0
        self._names: dict[str, dict[str, list[str]]] = {}

    def refresh(self) -> None:
        """Reload the registry; rebuild BM25 only when the index version changed."""
        with self._lock:
            registry = self.store.registry()
            version = self.store.index_version()
            if version != self._version or self._lexical is None:
                ids, texts, metas = self.store.all_chunks()
                cache = self.settings.data_dir / "bm25" / version
                self._lexical = LexicalIndex(ids, texts, metas, cache)
                self._version = version
            self._registry = registry
            self._active = {d: r["sha256"] for d, r in registry.items() if r.get("sha256")}
            # Names per document are fixed per registry; matching them ran on every query.
            self._names = {d: _aliases(d, r) for d, r in registry.items() if r.get("sha256")}
            self._total = self.store.chunks.count()

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 side (built on first use)."""
        if self._lexical is None:
            self.refresh()
        return self._lexical

    @property
    def registry(self) -> dict[str, dict]:
        """Ingested documents by id."""
        if not self._registry:
            self.refresh()
        return self._registry

    def documents(self) -> dict[str, dict]:
        """Documents that have an active version (searchable)."""
        return {d: r for d, r in self.registry.items() if r.get("sha256")}

    def resolve(self, filters: Filters | None) -> list[str] | None:
        """Turn filters into the set of allowed document ids; unknown values are errors."""
        if filters is None or not filters.active():
            return None
        docs = self.documents()
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

    def named_families(self, query: str, allowed: list[str] | None) -> dict[str, list[str]]:
        """Document families the question names (e.g. 'Gold Standard', 'VCS'), with their ids."""
        q = query.lower()
        fams: dict[str, list[str]] = {}
        for d, r in self.documents().items():
            if allowed is not None and d not in allowed:
                continue
            for fam, names in self._names[d].items():
                if any(re.search(rf"\b{re.escape(n)}\b", q) for n in names):
                    fams.setdefault(fam, []).append(d)
        return fams

    def topic(self, query: str, allowed: list[str] | None = None) -> str:
        """The question without the names of the documents it mentions (they say where, not what)."""
        out = query
        for fam, docs in self.named_families(query, allowed).items():
            for d in docs:
                for names in self._names[d].values():
                    for n in sorted(names, key=len, reverse=True):
                        out = re.sub(rf"\b{re.escape(n)}\b", " ", out, flags=re.I)
        out = re.sub(r"\b(glossary|manual|document|rulebook)\b", " ", out, flags=re.I)
        return " ".join(out.split()) or query

    def search(self, query: str, filters: Filters | None = None, k: int | None = None) -> list[Passage]:
        """Fused top-k passages with their dense and BM25 ranks."""
        s = self.settings
        k = k or s.top_k
        allowed = self.resolve(filters)
        expanded = expand_query(query, self.lexical.acronyms)
        vec = self.embedder.embed([expanded])[0]
        passages = self._fuse(expanded, vec, allowed, s.dense_k, s.bm25_k)
        named = self.named_families(query, allowed)
        if len(named) >= 2:
            # A question about two instruments must see both, not the louder one twice.
            topic = expand_query(self.topic(query, allowed), self.lexical.acronyms)
            tvec = self.embedder.embed([topic])[0]
            for docs in named.values():
                if sum(p.doc_id in docs for p in passages[:k]) < 2:
                    extra = self._fuse(topic, tvec, docs, 10, 10)[:2]
                    passages = _merge(passages, extra, k)
        elif len(named) == 1 and allowed is None:
            docs = next(iter(named.values()))
            topic = expand_query(self.topic(query, allowed), self.lexical.acronyms)
            boost = self._fuse(topic, self.embedder.embed([topic])[0], docs, 10, 10)[:3]
            passages = _merge(passages, boost, k)
        return _quota(passages, k, s.per_doc_quota)

    def _fuse(self, query: str, vec: np.ndarray, allowed, dense_k: int, bm25_k: int) -> list[Passage]:
        """Reciprocal-rank fusion of the two rankings."""
        s = self.settings
        if not self._registry:
            self.refresh()
        dense = self.store.query(vec, dense_k, allowed, active=self._active, total=self._total)
        lex = self.lexical.search(query, bm25_k, set(allowed) if allowed is not None else None)
        by_id: dict[str, Passage] = {}
        for rank, (cid, text, meta, sim) in enumerate(dense, 1):
            p = by_id.setdefault(cid, _passage(cid, text, meta))
            p.dense_rank, p.dense_score = rank, round(sim, 4)
            p.score += s.dense_weight / (s.rrf_k + rank)
        for rank, (row, score) in enumerate(lex, 1):
            cid = self.lexical.ids[row]
            p = by_id.setdefault(cid, _passage(cid, self.lexical.texts[row], self.lexical.metas[row]))
            p.bm25_rank, p.bm25_score = rank, round(score, 4)
            p.score += s.bm25_weight / (s.rrf_k + rank)
        ranked = sorted(by_id.values(), key=lambda p: -p.score)
        for p in ranked:
            p.score = round(p.score, 5)
        return ranked


FAMILIES = {
    "verra": ["verra", "vcs", "verified carbon standard"],
    "gold-standard": ["gold standard", "gs4gg", "gsver", "gsvers"],
    "cdm": ["cdm", "clean development mechanism"],
    "vanuatu": ["vanuatu"],
    "economic-survey": ["economic survey"],
    "icra": ["icra"],
    "ndc-synthesis": ["ndc synthesis", "synthesis report"],
}


def _aliases(doc_id: str, record: dict) -> dict[str, list[str]]:
    """Family -> names a user may call this document by (issuer family, then the exact title)."""
    text = " ".join([doc_id, record.get("title", ""), record.get("issuer", "")]).lower().replace("-", " ")
    out = {fam: names for fam, names in FAMILIES.items() if any(n in text for n in names + [fam.replace("-", " ")])}
    title = record.get("title", "").lower()
    if title:
        out.setdefault(doc_id, [title])
    return out


def _passage(cid: str, text: str, meta: dict) -> Passage:
    """A Passage from stored chunk metadata, scores filled in by fusion."""
    return Passage(
        id=cid, doc_id=meta["doc_id"], title=meta.get("title", ""), text=text,
        page_start=int(meta["page_start"]), page_end=int(meta["page_end"]),
        page_label=meta.get("page_label", ""), section=meta.get("section", ""), score=0.0,
        version=meta.get("version", ""), category=meta.get("category", ""),
        section_marks=meta.get("section_marks", "[]"), page_marks=meta.get("page_marks", "[]"),
    )


def _merge(base: list[Passage], extra: list[Passage], k: int) -> list[Passage]:
    """Put `extra` passages into the top-k, displacing the lowest-ranked ones."""
    have = {p.id for p in base}
    add = [p for p in extra if p.id not in have]
    if not add:
        return base
    keep = base[: max(0, k - len(add))]
    return keep + add + [p for p in base[len(keep):] if p.id not in {a.id for a in add}]


def _quota(passages: list[Passage], k: int, quota: int) -> list[Passage]:
    """At most `quota` passages from one document in the top-k, unless nothing else is left."""
    out, spill, count = [], [], {}
    for p in passages:
        if count.get(p.doc_id, 0) < quota:
            out.append(p)
            count[p.doc_id] = count.get(p.doc_id, 0) + 1
        else:
            spill.append(p)
    return (out + spill)[:k]


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
