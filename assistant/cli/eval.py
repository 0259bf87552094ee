"""`carbonqa eval validate|run|report|calibrate`: check question sets, score pipelines, compare runs."""
from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.config import EXIT_FAILED, cli_errors, console, err_console, load_settings, need_index
from ingest.errors import CarbonQAError


def register(app: typer.Typer) -> None:
    """Add the `eval` command group."""
    eval_app = typer.Typer(no_args_is_help=True, help="Evaluate: validate question sets, run, report, calibrate.")
    app.add_typer(eval_app, name="eval")

    @eval_app.command("validate")
    @cli_errors
    def validate(
        file: Path = typer.Argument(..., help="Question set (JSONL)."),
        reference: Path = typer.Option(None, "--reference", help="A superset (e.g. full.jsonl) that must hold every row verbatim."),
    ) -> None:
        """Check a question set against the corpus; list every problem; exit 1 if any."""
        from evals.dataset import read_rows, summarise, validate_file

        settings = load_settings()
        problems = validate_file(file, settings, reference)
        for p in problems:
            err_console.print(str(p), highlight=False, markup=False, soft_wrap=True)
        s = summarise(read_rows(file))
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(s.by_type.items()))
        console.print(f"{file}: {s.rows} rows ({kinds}; {s.follow_ups} follow-ups), "
                      f"{len(problems)} problem(s)", highlight=False)
        if problems:
            raise typer.Exit(EXIT_FAILED)

    @eval_app.command("run")
    @cli_errors
    def run(
        questions: Path = typer.Option(Path("evals/questions/full.jsonl"), "--questions", help="Question set (JSONL)."),
        answerer: str = typer.Option("extractive", "--answerer", help="extractive or llm."),
        provider: str = typer.Option(None, "--provider", help="llamacpp, openai or ollama (with --answerer llm)."),
        baseline: str = typer.Option(None, "--baseline", help="naive (LangChain tutorial RAG) or bm25 (BM25 alone)."),
        out: Path = typer.Option(..., "--out", help="Output folder: metrics.json, answers.jsonl, report.md, plots."),
        limit: int = typer.Option(None, "--limit", min=1, help="Only the first N questions."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
    ) -> None:
        """Run a question set through our pipeline (or a baseline) and write metrics and a report."""
        from evals.baselines import make_pipeline
        from evals.dataset import CorpusPages, load_questions
        from evals.runner import evaluate

        if answerer not in ("extractive", "llm"):
            raise CarbonQAError(f"unknown answerer '{answerer}' (extractive or llm)")
        settings = load_settings()
        qs = load_questions(questions)
        if baseline != "naive":
            need_index(settings)

        def built(done: int, total: int) -> None:
            console.print(f"[dim]naive index: embedded {done}/{total} chunks[/dim]", highlight=False)

        pipeline = make_pipeline(settings, answerer, provider, baseline, on_progress=built)
        meta, _ = evaluate(pipeline, qs, CorpusPages(settings), questions_file=questions,
                           settings_digest=settings.digest(), baseline=baseline, out_dir=out, limit=limit,
                           progress=progress)
        o = meta["overall"]
        console.print(
            f"{meta['primary']['name']} {meta['primary']['value']} · page recall@5 {o.get('page_recall@5')} · "
            f"key-fact recall {o.get('key_fact_recall')} · abstain recall {o.get('abstain_recall')} · "
            f"false abstain {o.get('false_abstain_rate')} · {meta['n']} questions in {meta['runtime_s']} s → {out}",
            highlight=False,
        )

    @eval_app.command("report")
    @cli_errors
    def report(dirs: list[Path] = typer.Argument(..., help="Two or more run folders; the first is the reference.")) -> None:
        """Print runs side by side with ratios against the first."""
        from evals.report import compare_dirs

        console.print(compare_dirs(dirs))

    @eval_app.command("calibrate")
    @cli_errors
    def calibrate(
        questions: Path = typer.Option(Path("evals/questions/full.jsonl"), "--questions", help="Question set (JSONL)."),
        out: Path = typer.Option(None, "--out", help="Also write DIR/calibration.json."),
        min_answer_rate: float = typer.Option(
            0.0, "--min-answer-rate", min=0.0, max=1.0,
            help="Only consider thresholds that still answer this share of answerable questions."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
    ) -> None:
        """Find the abstention threshold that maximises balanced accuracy on a question set."""
        from assistant.answer import Assistant
        from evals import calibrate as C
        from evals.dataset import load_questions

        settings = load_settings()
        need_index(settings)
        qs = load_questions(questions)
        supports = C.support_scores(Assistant(settings), qs, progress)
        result = C.calibrate(supports, settings.abstain_threshold, min_answer_rate)
        console.print(C.table(result))
        b, c = result["best"], result["current"]
        console.print(
            f"best threshold {b['threshold']:.3f}: balanced accuracy {b['balanced_accuracy']:.3f} "
            f"(abstain recall {b['abstain_recall']:.3f}, answer rate {b['answer_rate']:.3f}); "
            f"current {c['threshold']:.3f}: {c['balanced_accuracy']:.3f}", highlight=False,
        )
        if out:
            console.print(f"wrote {C.write(result, out)}")
