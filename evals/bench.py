"""`carbonqa bench`: ingestion, its limit, re-ingest, query latency, scaling and the naive baseline, in one run.

Everything is measured in one process on one machine (the query side in one fresh child
process, like a running `carbonqa chat`), into a temporary data dir that is removed at the end,
so the developer's own index is never touched. The numbers go to results.json; the CLI
(assistant/cli/bench.py) renders the table and README from that dict, and
evals/bench_scaling.py holds the replicated-corpus scaling, the naive ingest and the plot.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.errors import CarbonQAError
from ingest.settings import Settings

SCHEMA = 1
QUESTIONS_FILE = Path(__file__).resolve().parent / "questions" / "dev.jsonl"
WARM_QUESTION = "What is a crediting period?"  # answered once before timing: first-call effects are not latency
# name -> (comparison, limit, label); a missing value (e.g. no local LLM) is "not measured", not a failure.
TARGETS = {
    "ingest_cold_seconds": ("<=", 90.0, "ingest from scratch ≤ 90 s (incl. model load)"),
    "ingest_cold_over_warm": ("<=", 1.25, "cold `carbonqa ingest --force` process ≤ 1.25× the warm call"),
    "naive_ingest_ratio": ("<=", 0.6, "ingest ours/naive ≤ 0.6 (warm, models loaded)"),
    "naive_ingest_ratio_cold": ("<=", 0.6, "ingest ours/naive ≤ 0.6 (cold processes)"),
    "naive_retrieval_ratio_p95": ("<=", 1.5, "retrieval p95 ours/naive ≤ 1.5 at 1×"),
    "naive_dense_ratio_p95_largest": ("<=", 1.5, "retrieval p95 ours/naive dense query ≤ 1.5 at 16×"),
    "embedding_fraction_of_limit": (">=", 0.85, "embedding stage ≥ 85% of raw encode"),
    "reingest_seconds": ("<=", 3.0, "re-ingest unchanged ≤ 3 s"),
    "retrieval_p95_ms": ("<=", 100.0, "retrieval p95 ≤ 100 ms at 1×"),
    "retrieval_p95_ms_largest": ("<=", 250.0, "retrieval p95 ≤ 250 ms at the largest factor (16×)"),
    "extractive_p95_ms": ("<=", 150.0, "extractive answer p95 ≤ 150 ms"),
    "llm_ttft_seconds": ("<=", 6.0, "local LLM time to first token ≤ 6 s"),
    "llm_ttft_evidence_over_chunks": ("<=", 0.34, "compressed-evidence TTFT ≤ 1/3 of the 5-chunk prompt's"),
}
Log = Callable[[str], None]


@dataclass
class BenchOptions:
    """What one bench run does; `quick()` is the smoke-test size."""

    factors: tuple[int, ...] = (1, 4, 16)
    questions: int = 30
    llm_questions: int = 2  # each local answer takes tens of seconds on 2 cores
    max_docs: int | None = None  # None: the whole manifest; else the N smallest bundled files
    questions_file: Path = QUESTIONS_FILE
    quick: bool = False

    @classmethod
    def quick_run(cls, factors: tuple[int, ...] | None = None) -> "BenchOptions":
        """2 documents, factors 1 and 2, 5 questions, no LLM."""
        return cls(factors=factors or (1, 2), questions=5, llm_questions=0, max_docs=2, quick=True)


# ---------------------------------------------------------------- memory and statistics


def rss_mb() -> float:
    """Resident set size of this process now, in MB (psutil when installed, else /proc)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        pass
    kb = _proc_status("VmRSS")
    return kb / 1024 if kb is not None else peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak RSS since start or since the last reset_peak_rss(), in MB."""
    kb = _proc_status("VmHWM")
    if kb is None:  # not Linux: getrusage's lifetime peak (KB on Linux, bytes on macOS)
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if platform.system() == "Darwin" else 1)
    return kb / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux clear_refs 5), so a later peak belongs to one phase."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _proc_status(key: str) -> float | None:
    """A kB value from /proc/self/status, or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(children: bool = False) -> float:
    """User + system CPU seconds of this process (and of its reaped children): load-independent work."""
    who = [resource.RUSAGE_SELF] + ([resource.RUSAGE_CHILDREN] if children else [])
    return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime for w in who)


def pct(values: list[float], q: float) -> float | None:
    """The q-th percentile (linear interpolation), rounded; None for no values."""
    return round(float(np.percentile(values, q)), 2) if values else None


def rounded(x: float | None, nd: int = 2) -> float | None:
    """Round, keeping None."""
    return None if x is None else round(float(x), nd)


def load_questions(path: Path, n: int) -> list[str]:
    """The first n `question` fields of a JSONL question file."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            out.append(json.loads(line)["question"])
        if len(out) >= n:
            break
    if not out:
        raise CarbonQAError(f"{path}: no questions")
    return out


# ---------------------------------------------------------------- ingestion and its limit


def bench_manifest(settings: Settings, max_docs: int | None, folder: Path) -> Path:
    """The manifest to ingest: the real one, or one listing only the N smallest bundled files."""
    from ingest.manifest import load_manifest

    if max_docs is None:
        return settings.manifest_path
    import yaml

    entries = [e for e in load_manifest(settings.manifest_path) if (p := e.path(settings.corpus_dir)) and p.exists()]
    entries.sort(key=lambda e: e.path(settings.corpus_dir).stat().st_size)
    docs = [e.model_dump(mode="json", exclude_none=True) for e in entries[:max_docs]]
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump({"documents": docs}, sort_keys=False), encoding="utf-8")
    return path


def measure_ingest(settings: Settings) -> dict:
    """Ingest from scratch with the model already loaded; stages summed over the documents."""
    from ingest.embed import get_embedder
    from ingest.pipeline import ingest

    t = time.perf_counter()
    # Loading the model is a process-start cost: timed apart so the embed stage is pure encoding.
    get_embedder(settings.embedding_model, settings.embedding_backend).embed(["warm up"])
    load_s = time.perf_counter() - t
    peak_ok = reset_peak_rss()
    cpu = cpu_seconds()
    report = ingest(settings, force=True)
    cpu = cpu_seconds() - cpu
    if report.failed:
        raise CarbonQAError("bench ingest failed: " + "; ".join(r.error for r in report.failed))
    done = [r for r in report.results if r.status == "ingested"]
    stages = {s: sum(r.stages.get(s, 0.0) for r in done) for s in ("extract", "chunk", "embed", "store")}
    stages["other"] = max(0.0, report.seconds - sum(stages.values()))  # manifest, registry, hashing
    pages, chunks = sum(r.pages for r in done), sum(r.chunks for r in done)
    return {
        "documents": len(done), "pages": pages, "chunks": chunks,
        "ingest_seconds": rounded(report.seconds), "model_load_seconds": rounded(load_s),
        "ingest_cold_seconds": rounded(report.seconds + load_s), "ingest_cpu_seconds": rounded(cpu),
        "pages_per_second": rounded(pages / report.seconds, 1), "chunks_per_second": rounded(chunks / report.seconds, 1),
        "stages_seconds": {k: rounded(v) for k, v in stages.items()},
        "ingest_peak_rss_mb": rounded(peak_rss_mb(), 0), "peak_rss_scope": "ingest" if peak_ok else "process lifetime",
    }


def stored_chunks(settings: Settings) -> tuple[list, np.ndarray, dict[str, dict]]:
    """Every stored chunk as a Chunk, its stored vector, and the registry (for replication)."""
    from ingest.models import Chunk
    from ingest.store import Store

    store = Store(settings)
    names = {f.name for f in fields(Chunk)}
    chunks, vecs = [], []
    total = store.chunks.count()
    for off in range(0, total, 5000):
        got = store.chunks.get(include=["documents", "metadatas", "embeddings"], limit=5000, offset=off)
        for text, meta, vec in zip(got["documents"], got["metadatas"], got["embeddings"]):
            kw = {k: v for k, v in meta.items() if k in names}
            kw["jurisdictions"] = [j for j in str(meta.get("jurisdictions", "")).split("|") if j]
            chunks.append(Chunk(text=text, **kw))
            vecs.append(vec)
    return chunks, np.asarray(vecs, dtype=np.float32), store.registry()


def measure_raw_encode(settings: Settings, chunks: list, stored: np.ndarray) -> dict:
    """The limit: one encode() call over the same chunk texts with the same model and batch size."""
    from ingest.embed import get_embedder

    texts = [c.embed_text() for c in chunks]
    embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
    t = time.perf_counter()
    vecs = embedder.embed(texts, settings.embed_batch_size)
    secs = time.perf_counter() - t
    # Same texts and model must give the stored vectors; a low value means we timed something else.
    agree = float(np.min(np.sum(vecs * stored, axis=1))) if len(texts) else 1.0
    return {"raw_encode_seconds": rounded(secs), "raw_encode_chunks_per_second": rounded(len(texts) / secs, 1) if secs else None,
            "raw_vs_stored_min_cosine": rounded(agree, 4)}


def measure_reingest(settings: Settings) -> dict:
    """Re-run ingest over the unchanged corpus: everything should be skipped."""
    from ingest.pipeline import ingest

    t = time.perf_counter()
    report = ingest(settings)
    secs = time.perf_counter() - t
    return {"reingest_seconds": rounded(secs, 3),
            "reingest_skipped": sum(r.status == "skipped" for r in report.results),
            "reingest_reprocessed": sum(r.status == "ingested" for r in report.results)}


# ---------------------------------------------------------------- the whole run


def run_bench(settings: Settings, opts: BenchOptions, log: Log = print) -> dict:
    """Every measurement of issue 6, in order, in a temp data dir; returns the results dict."""
    from evals.bench_cold import machine_info, measure_cold_ingest, measure_cold_naive, measure_warm_naive
    from evals.bench_queries import in_child, measure_queries
    from evals.bench_scaling import measure_scaling

    started, cpu0 = time.perf_counter(), cpu_seconds(children=True)
    work = Path(tempfile.mkdtemp(prefix="carbonqa-bench-"))
    try:
        manifest = bench_manifest(settings, opts.max_docs, work)
        bs = settings.model_copy(update={"data_dir": work / "data", "manifest": manifest,
                                         "llm_model_path": settings.model_path, "chroma_url": None})
        questions = load_questions(opts.questions_file, opts.questions)
        res: dict = {"schema": SCHEMA, "created": dt.datetime.now().isoformat(timespec="seconds"),
                     "quick": opts.quick, "load_average_start": _loadavg(), **machine_info(),
                     "settings_digest": settings.digest(), "index_digest": settings.index_digest,
                     "embedding_backend": settings.embedding_backend}
        log("cold ingest: `carbonqa ingest --force` in a fresh process")
        res.update(measure_cold_ingest(bs))
        log(f"cold ingest: {res['ingest_cold_process_seconds']} s; warm ingest: from scratch in this process")
        res.update(measure_ingest(bs))
        res["ingest_cold_over_warm"] = rounded(res["ingest_cold_process_seconds"] / res["ingest_seconds"], 3)
        log(f"ingest: {res['documents']} documents, {res['pages']} pages, {res['chunks']} chunks "
            f"in {res['ingest_seconds']} s; raw encode of the same chunks")
        chunks, vectors, registry = stored_chunks(bs)
        res.update(measure_raw_encode(bs, chunks, vectors))
        embed_s, extract_s = res["stages_seconds"]["embed"], res["stages_seconds"]["extract"]
        res["embed_stage_chunks_per_second"] = rounded(res["chunks"] / embed_s, 1) if embed_s else None
        res["embedding_fraction_of_limit"] = rounded(res["raw_encode_seconds"] / embed_s, 3) if embed_s else None
        res["ingest_fraction_of_limit"] = rounded((extract_s + res["raw_encode_seconds"]) / res["ingest_seconds"], 3)
        log("re-ingest of the unchanged corpus")
        res.update(measure_reingest(bs))
        if not opts.quick:  # a cold naive child imports torch and sentence-transformers: not for the smoke test
            log("naive LangChain pipeline: cold build in a fresh process")
            res.update(measure_cold_naive(bs))
            res["naive_ingest_ratio_cold"] = rounded(res["ingest_cold_process_seconds"] / res["naive_ingest_cold_seconds"], 3)
        log("naive LangChain pipeline: warm build in this process")
        res.update(measure_warm_naive(bs))
        res["naive_ingest_ratio"] = rounded(res["ingest_seconds"] / res["naive_ingest_seconds"], 3)
        log(f"query side: {len(questions)} questions in a fresh process"
            + (f", then {opts.llm_questions} local-LLM answers" if opts.llm_questions else ""))
        res.update(in_child(measure_queries, bs.model_dump(), questions, opts.llm_questions, True))
        res["naive_retrieval_ratio"] = rounded(res["retrieval_p50_ms"] / res["naive_retrieval_p50_ms"], 3)
        res["naive_retrieval_ratio_p95"] = rounded(res["retrieval_p95_ms"] / res["naive_retrieval_p95_ms"], 3)
        res["scaling"] = measure_scaling(bs, work, chunks, vectors, registry, opts.factors, questions, res, log)
        largest = res["scaling"][f"{max(opts.factors)}x"]
        res["retrieval_p95_ms_largest"] = largest["retrieval_p95_ms"]
        res["naive_dense_ratio_p95_largest"] = largest.get("naive_dense_ratio_p95")
        res["largest_factor"] = max(opts.factors)
        res["load_average_end"] = _loadavg()
        # Wall time against CPU time shows how much other jobs slowed this run down.
        res["bench_wall_seconds"] = rounded(time.perf_counter() - started, 1)
        res["bench_cpu_seconds"] = rounded(cpu_seconds(children=True) - cpu0, 1)
        res["targets"] = check_targets(res)
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _loadavg() -> list[float] | None:
    """1/5/15-minute load averages (other jobs on the machine inflate every timing)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def check_targets(res: dict) -> dict:
    """Each target with its value and whether it is met (None when not measured)."""
    out = {}
    for key, (op, limit, label) in TARGETS.items():
        v = res.get(key)
        met = None if v is None else (v <= limit if op == "<=" else v >= limit)
        out[key] = {"label": label, "value": v, "limit": limit, "op": op, "met": met}
    return out


def write_results(res: dict, out_dir: Path) -> Path:
    """bench/results.json (sorted keys, so diffs between runs read well)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.json"
    path.write_text(json.dumps(res, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
