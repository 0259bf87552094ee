"""Bench parts that need no model run: the corpus replicated N×, the naive ingest, the scaling plot.

Replication reuses the 1× chunks and their stored vectors: re-embedding 16 copies would take an
hour on 2 cores and measure the embedder again, not how the store and the indexes grow.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.settings import Settings


def _pct(values: list[float], q: float) -> float | None:
    """The q-th percentile in ms, rounded; None for no values."""
    return round(float(np.percentile(values, q)), 2) if values else None


def copy_id(doc_id: str, copy: int) -> str:
    """Document id of copy n (copy 0 keeps the real id)."""
    return doc_id if copy == 0 else f"{doc_id}--copy{copy}"


def copy_sha(sha: str, copy: int) -> str:
    """A distinct, stable sha256 per copy, so chunk ids (derived from it) never collide."""
    return sha if copy == 0 else hashlib.sha256(f"{sha}:copy{copy}".encode()).hexdigest()


def replicate(settings: Settings, chunks: list, vectors: np.ndarray, registry: dict[str, dict], factor: int) -> dict:
    """Upsert `factor` copies of every document into a fresh store, as ingest does; timed."""
    from ingest.store import Store

    store = Store(settings)
    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        by_doc.setdefault(c.doc_id, []).append(i)
    t = time.perf_counter()
    for n in range(factor):
        for doc_id, rows in by_doc.items():
            rec = dict(registry[doc_id])
            sha = copy_sha(rec["sha256"], n)
            part = [dataclasses.replace(chunks[i], doc_id=copy_id(doc_id, n), doc_sha256=sha) for i in rows]
            store.add_chunks(part, vectors[rows])
            rec["sha256"] = sha
            store.put_record(copy_id(doc_id, n), rec)
    return {"store_seconds": round(time.perf_counter() - t, 2), "documents": len(by_doc) * factor,
            "chunks": len(chunks) * factor,
            "pages": factor * sum(int(registry[d].get("pages", 0)) for d in by_doc)}


def measure_size(settings: Settings, questions: list[str]) -> dict:
    """At one store size: BM25 build, then hybrid retrieval and each side's search latency."""
    from assistant.retrieval.hybrid import OVERFETCH, HybridSearch
    from assistant.retrieval.lexical import LexicalIndex, bm25_cache_dir
    from evals.baselines import naive_embedder
    from evals.bench_queries import fresh
    from ingest.store import Store

    store = Store(settings)
    t = time.perf_counter()
    ids, texts, metas = store.all_chunks()
    fetch_s = time.perf_counter() - t
    t = time.perf_counter()
    # Built where HybridSearch looks for it (as evals.baselines.BM25Baseline does), so the
    # search below loads this index from disk instead of building it a second time.
    LexicalIndex(ids, texts, metas, bm25_cache_dir(settings.data_dir, ids))
    build_s = time.perf_counter() - t
    search = HybridSearch(settings)
    t = time.perf_counter()
    search.refresh()
    load_s = time.perf_counter() - t
    search.search(questions[0])  # first-call effects are not latency
    naive = naive_embedder(settings)
    naive.embed([questions[0]])
    hybrid, bm25, dense, naive_dense = [], [], [], []
    s = settings
    for q in questions:
        fresh(search.embedder)  # the same questions run at every size: time them, not a remembered vector
        fresh(naive)
        t = time.perf_counter()
        search.search(q)
        hybrid.append((time.perf_counter() - t) * 1000)
        view = search.current()
        expanded = view.lexical.expand(q)
        t = time.perf_counter()
        view.lexical.search(expanded, s.bm25_k, None)
        bm25.append((time.perf_counter() - t) * 1000)
        vec = search.embedder.embed([expanded])[0]
        t = time.perf_counter()
        search.nearest(view, vec, max(OVERFETCH, s.dense_k + 10))
        dense.append((time.perf_counter() - t) * 1000)
        # The tutorial's query: embed with its model, Chroma top-4 with texts and metadata.
        t = time.perf_counter()
        store.chunks.query(query_embeddings=[naive.embed([q])[0].tolist()], n_results=4,
                           include=["documents", "metadatas", "distances"])
        naive_dense.append((time.perf_counter() - t) * 1000)
    out = {
        "chroma_fetch_seconds": round(fetch_s, 2), "bm25_build_seconds": round(build_s, 2),
        "index_load_seconds": round(load_s, 2),
        "retrieval_p50_ms": _pct(hybrid, 50), "retrieval_p95_ms": _pct(hybrid, 95),
        "bm25_search_p50_ms": _pct(bm25, 50), "bm25_search_p95_ms": _pct(bm25, 95),
        "dense_search_p50_ms": _pct(dense, 50), "dense_search_p95_ms": _pct(dense, 95),
        "naive_dense_p50_ms": _pct(naive_dense, 50), "naive_dense_p95_ms": _pct(naive_dense, 95),
    }
    out["naive_dense_ratio_p95"] = round(out["retrieval_p95_ms"] / out["naive_dense_p95_ms"], 3)
    return out


def measure_scaling(settings: Settings, work: Path, chunks: list, vectors: np.ndarray, registry: dict,
                    factors: tuple[int, ...], questions: list[str], res: dict,
                    log: Callable[[str], None] = print) -> dict:
    """Per factor: pages, seconds per page (ingest at 1×, store+index for every size), BM25, p95."""
    out = {}
    for f in sorted(factors):
        log(f"scaling {f}×: upserting {f * len(chunks)} chunks into a fresh store")
        fs = settings.model_copy(update={"data_dir": work / f"scale-{f}x"})
        row = {"factor": f, **replicate(fs, chunks, vectors, registry, f), **measure_size(fs, questions)}
        pages = max(1, row["pages"])
        row["store_index_seconds_per_page"] = round((row["store_seconds"] + row["bm25_build_seconds"]) / pages, 5)
        if f == 1:
            # Only 1× runs the real pipeline (extract + chunk + embed + store).
            row["ingest_seconds_per_page"] = round(res["ingest_seconds"] / max(1, res["pages"]), 5)
            row["basis"] = "ingest measured; store+index from stored vectors"
        else:
            row["ingest_seconds_per_page"] = None
            row["basis"] = "store+index only (1× vectors reused, not re-embedded)"
        out[f"{f}x"] = row
    return out


def plot_scaling(res: dict, path: Path) -> Path:
    """bench/scaling.png: cost per page and query latency against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(res["scaling"].values(), key=lambda r: r["factor"])
    pages = [r["pages"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.plot(pages, [r["store_index_seconds_per_page"] * 1000 for r in rows], "o-", label="store + BM25 build")
    ing = [(r["pages"], r["ingest_seconds_per_page"] * 1000) for r in rows if r.get("ingest_seconds_per_page")]
    if ing:
        a.plot(*zip(*ing), "s", color="C3", label="full ingest (measured, 1×)")
    # Log y: a full ingest costs ~50× the store+index work per page; linear would flatten the curve.
    a.set(xscale="log", yscale="log", xlabel="pages in the index (log)", ylabel="ms per page (log)",
          title="Indexing cost per page")
    a.legend()
    for key, label in (("retrieval_p95_ms", "hybrid retrieval p95"), ("bm25_search_p95_ms", "BM25 search p95"),
                       ("dense_search_p95_ms", "dense (Chroma) search p95")):
        b.plot(pages, [r[key] for r in rows], "o-", label=label)
    b.axhline(100, color="grey", ls=":", lw=1, label="target 1× (100 ms)")
    b.axhline(250, color="grey", ls="--", lw=1, label="target 16× (250 ms)")
    b.set(xscale="log", xlabel="pages in the index (log)", ylabel="ms", title="Query latency")
    b.set_ylim(bottom=0)
    b.legend(fontsize=8)
    for r in rows:
        b.annotate(f"{r['factor']}×", (r["pages"], r["retrieval_p95_ms"]), textcoords="offset points",
                   xytext=(4, 4), fontsize=8)
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    for ax in (a, b):
        ax.set_xticks(pages)
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    fig.suptitle(f"carbonqa bench, {res.get('cores')} cores (load avg at start {res.get('load_average_start')})",
                 fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
