"""Run a question set through a pipeline, score every answer, and write the run's outputs.

DIR/metrics.json  the documented summary (see evals/README.md), schema 1
DIR/answers.jsonl every Answer.to_dict() plus the question id, type and its metrics
DIR/report.md     tables and PNG plots (evals/report.py)
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from pathlib import Path

from assistant.models import Answer
from evals import metrics as M
from evals.baselines import Pipeline
from evals.dataset import CorpusPages, Question, file_sha256, quote_on_page
from evals.typed import retype
from ingest.errors import CarbonQAError
from ingest.jsonl import write_jsonl

SCHEMA = 1
PRIMARY = "qa_score"
PRIMARY_DEFINITION = "mean of key_fact_recall and page_recall@5 over answerable questions"


def score_answer(q: Question, ans: Answer, corpus: CorpusPages) -> dict[str, float | None]:
    """Every per-question metric of one answer (None where a metric does not apply)."""
    spans = [(p.doc_id, p.page_start, p.page_end) for p in ans.passages]
    cited = [(c.doc_id, c.page, c.quote) for c in ans.citations]
    out: dict[str, float | None] = {}
    if q.answerable:
        gold = q.gold_pages
        out.update(M.retrieval_metrics(spans, gold))
        out["key_fact_recall"] = M.key_fact_recall(ans.answer, q.key_facts)
        # The same, over answered questions only: answer quality apart from abstention.
        out["key_fact_recall_answered"] = None if ans.abstained else out["key_fact_recall"]
        out["exact_match"] = M.exact_match(ans.answer, q.answer)
        out["contains_answer"] = M.contains_answer(ans.answer, q.answer)
        # An abstention's citations are "nearest passages", not support for a claim.
        answer_pages = [] if ans.abstained else [(d, p) for d, p, _ in cited]
        out["citation_precision"] = None if ans.abstained else M.citation_precision(answer_pages, gold)
        out["citation_recall"] = M.citation_recall(answer_pages, gold)
    out["citation_validity"] = M.citation_validity(cited, lambda d, p, qt: quote_on_page(qt, corpus.page(d, p)))
    return out


def _failed_answer(q: Question, err: str, answerer: str) -> Answer:
    """A stand-in Answer for a question the pipeline refused, so the run goes on and counts it."""
    return Answer(question=q.question, answer="", abstained=True, citations=[], passages=[], timings={},
                  answerer=answerer, settings_digest="", warnings=[f"error: {err}"])


def run_questions(pipeline: Pipeline, questions: list[Question], corpus: CorpusPages,
                  progress: bool = True) -> list[dict]:
    """Ask every question (follow-ups with their history) and score it; one record per question."""
    from tqdm import tqdm

    records = []
    bar = tqdm(questions, desc=f"eval {pipeline.name}", unit="q", disable=not progress, dynamic_ncols=True)
    for q in bar:
        error = ""
        try:
            ans = pipeline.ask(q.question, list(q.history))
        except CarbonQAError as exc:  # one bad question must not sink a 200-question run
            error = str(exc)
            ans = _failed_answer(q, error, pipeline.answerer)
        records.append({
            "id": q.id, "type": q.type, "docs": sorted(q.gold_docs), "answerable": q.answerable,
            "abstained": ans.abstained, "timings": ans.timings, "error": error, "confidence": ans.confidence,
            "metrics": score_answer(q, ans, corpus), "answer": ans,
        })
    return records


def summarise(records: list[dict]) -> dict:
    """Overall, per-type and per-document aggregates (a cross-doc row counts for each doc)."""
    types = sorted({r["type"] for r in records})
    docs = sorted({d for r in records for d in r["docs"]})
    return {
        "overall": M.aggregate(records),
        "by_type": {t: M.aggregate([r for r in records if r["type"] == t]) for t in types},
        "by_doc": {d: M.aggregate([r for r in records if d in r["docs"]]) for d in docs},
    }


def code_version() -> str:
    """`git describe --always --dirty` of the checkout, or 'unknown' outside git."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], capture_output=True,
                             text=True, timeout=10, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def build_metrics(records: list[dict], *, answerer: str, baseline: str | None, settings_digest: str,
                  questions_file: Path, runtime_s: float, limit: int | None = None,
                  typed: str = "as-written") -> dict:
    """The metrics.json object (schema 1)."""
    summary = summarise(records)
    return {
        "schema": SCHEMA,
        "primary": {"name": PRIMARY, "value": summary["overall"]["primary"], "definition": PRIMARY_DEFINITION},
        **summary,
        "n": len(records),
        "answerer": answerer,
        "baseline": baseline,
        "settings_digest": settings_digest,
        "code_version": code_version(),
        "questions_file": str(questions_file),
        "questions_sha256": file_sha256(questions_file),
        "limit": limit,
        "typed": typed,
        "runtime_s": round(runtime_s, 1),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def write_outputs(out_dir: Path, meta: dict, records: list[dict]) -> None:
    """metrics.json, answers.jsonl and the report with its plots."""
    from evals.report import write_report

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_jsonl(out_dir / "answers.jsonl", (
        {"id": r["id"], "type": r["type"], **r["answer"].to_dict(), "metrics": r["metrics"], "error": r["error"]}
        for r in records))
    write_report(out_dir, meta, records)


def evaluate(pipeline: Pipeline, questions: list[Question], corpus: CorpusPages, *, questions_file: Path,
             settings_digest: str, baseline: str | None = None, out_dir: Path | None = None,
             limit: int | None = None, progress: bool = True, typed: str = "as-written") -> tuple[dict, list[dict]]:
    """Run, summarise and (when out_dir is given) write; returns (metrics.json object, records)."""
    if limit:
        questions = questions[:limit]
    questions = [retype(q, typed) for q in questions]
    t0 = time.perf_counter()
    records = run_questions(pipeline, questions, corpus, progress)
    answerer = pipeline.answerer if baseline is None else "extractive"
    if baseline is None and answerer == "llm" and getattr(pipeline, "provider", None):
        answerer = f"llm:{pipeline.provider}"
    meta = build_metrics(records, answerer=answerer, baseline=baseline, settings_digest=settings_digest,
                         questions_file=questions_file, runtime_s=time.perf_counter() - t0, limit=limit,
                         typed=typed)
    if out_dir is not None:
        write_outputs(out_dir, meta, records)
    return meta, records
