"""Bench query side, run in one fresh child process as a chat process would: retrieval, answers, LLM.

Every timed call starts with the embedder's query memo cleared: the same questions are asked
of several pipelines and sizes, and a remembered vector would time a lookup, not a question.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from evals.bench import WARM_QUESTION, pct, rounded, rss_mb
from ingest.errors import CarbonQAError
from ingest.settings import Settings


def fresh(embedder) -> None:
    """Forget remembered query vectors, where the embedder keeps any."""
    clear = getattr(embedder, "clear_query_cache", None)
    if clear is not None:
        clear()


def _timed(fn: Callable, *args) -> tuple[float, object]:
    """Milliseconds a call took, and its result."""
    t = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - t) * 1000, out


def measure_queries(settings_data: dict, questions: list[str], llm_questions: int, naive: bool) -> dict:
    """Retrieval, extractive and LLM latency plus RSS, as a chat process sees them (run in a child)."""
    from assistant.answering.answer import Assistant

    settings = Settings(**settings_data)
    out: dict = {"rss_start_mb": rounded(rss_mb(), 0)}
    t = time.perf_counter()
    assistant = Assistant(settings)
    assistant.warm_up()  # BM25 build, IDF table, embedding model: the chat process's start-up
    out["warm_up_seconds"] = rounded(time.perf_counter() - t)
    assistant.ask(WARM_QUESTION)
    retrieval, extractive, abstained = [], [], 0
    for q in questions:
        fresh(assistant.search.embedder)
        retrieval.append(_timed(assistant.search.search, q)[0])
        fresh(assistant.search.embedder)
        ms, ans = _timed(assistant.ask, q)
        extractive.append(ms)
        abstained += ans.abstained
    # The chat encodes the index's sentences on their own in the background once per index version;
    # before that, each answer encodes its 12 best sentences. Both states are measured.
    t = time.perf_counter()
    assistant.fill_sentence_vectors()
    fill_s = time.perf_counter() - t
    assistant.scorer().clear_caches()
    steady = []
    for q in questions:
        fresh(assistant.search.embedder)
        steady.append(_timed(assistant.ask, q)[0])
    out.update(
        retrieval_p50_ms=pct(retrieval, 50), retrieval_p95_ms=pct(retrieval, 95),
        extractive_first_p50_ms=pct(extractive, 50), extractive_first_p95_ms=pct(extractive, 95),
        sentence_fill_seconds=rounded(fill_s),
        extractive_p50_ms=pct(steady, 50), extractive_p95_ms=pct(steady, 95),
        extractive_abstained=abstained, questions=len(questions),
        rss_after_answering_mb=rounded(rss_mb(), 0),
    )
    if naive:
        from evals.baselines import NaiveBaseline

        base = NaiveBaseline(settings)  # opens the index the parent built
        base.retrieve(WARM_QUESTION)
        lat = []
        for q in questions:
            fresh(base.embedder)
            lat.append(_timed(base.retrieve, q)[0])
        out.update(naive_retrieval_p50_ms=pct(lat, 50), naive_retrieval_p95_ms=pct(lat, 95))
    out.update(measure_llm(assistant, questions[:llm_questions]))
    return out


def measure_llm(assistant, questions: list[str]) -> dict:
    """Local-LLM time to first streamed token and total per answer; nulls when there is no model."""
    out: dict = {"llm_ttft_seconds": None, "llm_total_seconds": None, "llm_note": ""}
    path = assistant.settings.model_path
    if not questions:
        out["llm_note"] = "not measured (quick run or 0 questions)"
        return out
    if not path.exists():
        out["llm_note"] = f"no local model at {path} (`make llm`)"
        return out
    try:
        t = time.perf_counter()
        assistant.llm("llamacpp").warm_up()
        out["llm_load_seconds"] = rounded(time.perf_counter() - t)
    except (CarbonQAError, ImportError) as exc:
        out["llm_note"] = f"LLM not measured: {exc}"
        return out
    ttft, total, errors = [], [], []
    for q in questions:
        t = time.perf_counter()
        first, done = _llm_answer(assistant, q, errors)
        if first is None:
            break  # not even a first token before the timeout: later questions would fare no better
        ttft.append(first - t)
        if done is not None:
            total.append(done - t)
    out.update(
        llm_ttft_seconds=rounded(float(np.median(ttft))) if ttft else None, llm_ttft_max_seconds=rounded(max(ttft, default=None)),
        llm_total_seconds=rounded(float(np.median(total))) if total else None, llm_questions=len(ttft),
        llm_errors=errors, rss_after_llm_mb=rounded(rss_mb(), 0),
        llm_note=f"median of {len(ttft)} answers after a warm-up; TTFT counted from ask(), total over "
                 f"{len(total)} completed" + (f"; {len(errors)} failed: {errors[0]}" if errors else ""),
    )
    out.update(measure_llm_prompts(assistant, questions))
    return out


def measure_llm_prompts(assistant, questions: list[str]) -> dict:
    """Time to first token for one question three ways, alternating so all see the same load.

    - before: 5 whole chunks under the full rules and example, the prefix read every time (the
      prompt the issue measured; alternating prompts leave llama.cpp nothing to reuse);
    - chunks, prefix kept: the same prompt with its fixed rules restored from a kept state;
    - now: the answer path: windows around the sentences the extractive answer quotes
      (`Assistant.llm_evidence`), under the short rules, prefix kept.
    """
    from assistant.llm.providers import LlamaCppChat

    llm = assistant.llm("llamacpp")
    model = llm.model()
    kept_default = getattr(model, "reuse_prefix", True)
    times: dict[str, list[float]] = {"before": [], "chunks_kept": [], "now": []}
    chars: dict[str, list[int]] = {"before": [], "now": []}
    try:
        for q in questions:
            ev = assistant.gather(q)
            evidence = assistant.llm_evidence(ev)[0]
            for name, passages, compact, keep in (("before", ev.passages[:5], False, False),
                                                  ("chunks_kept", ev.passages[:5], False, True),
                                                  ("now", evidence, True, True)):
                if isinstance(model, LlamaCppChat):
                    model.reuse_prefix = keep
                first: list[float] = []
                t = time.perf_counter()
                try:
                    llm.answer(ev.standalone, passages, compact=compact,
                               on_token=lambda _p: first or first.append(time.perf_counter()))
                except CarbonQAError:
                    pass
                times[name].append((first[0] if first else time.perf_counter()) - t)
                if name in chars:
                    chars[name].append(sum(len(p.text) for p in passages))
    finally:
        if isinstance(model, LlamaCppChat):
            model.reuse_prefix = kept_default
    if not times["before"]:
        return {}
    med = {k: float(np.median(v)) for k, v in times.items()}
    return {
        "llm_ttft_chunks_prompt_seconds": rounded(med["before"]),
        "llm_ttft_chunks_kept_prefix_seconds": rounded(med["chunks_kept"]),
        "llm_ttft_evidence_prompt_seconds": rounded(med["now"]),
        "llm_ttft_evidence_over_chunks": rounded(med["now"] / med["before"], 3),
        "llm_ttft_evidence_over_chunks_kept": rounded(med["now"] / med["chunks_kept"], 3),
        "llm_evidence_chars_median": int(np.median(chars["now"])), "llm_chunks_chars_median": int(np.median(chars["before"])),
    }


def _llm_answer(assistant, question: str, errors: list[str]) -> tuple[float | None, float | None]:
    """Ask with the LLM; (time of the first streamed token, time of the full answer), None where none came."""
    first: list[float] = []

    def on_token(_piece: str) -> None:
        if not first:
            first.append(time.perf_counter())

    try:
        assistant.ask(question, answerer="llm", provider="llamacpp", on_token=on_token)
    except CarbonQAError as exc:  # e.g. llm_timeout_s: the first token may still have come
        errors.append(str(exc))
        return (first[0] if first else None), None
    done = time.perf_counter()
    # An abstention streams nothing: the user waits for the whole reply.
    return (first[0] if first else done), done


def in_child(fn: Callable, *args):
    """Run fn(*args) in a fresh spawned process and return its result."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
