"""`carbonqa eval validate|run|report|train`: check question sets, score pipelines, compare runs."""
from __future__ import annotations

from pathlib import Path

import typer

from assistant.cli.config import EXIT_FAILED, cli_errors, console, err_console, load_settings, need_index
from ingest.errors import CarbonQAError


def register(app: typer.Typer) -> None:
    """Add the `eval` command group."""
    eval_app = typer.Typer(no_args_is_help=True, help="Evaluate: validate question sets, run, report, train the answerability model.")
    app.add_typer(eval_app, name="eval")

    @eval_app.command("validate")
    @cli_errors
    def validate(
        file: Path = typer.Argument(..., help="Question set (JSONL)."),
        reference: Path = typer.Option(None, "--reference", help="A superset (e.g. test.jsonl for ci.jsonl) that must hold every row verbatim."),
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
        questions: Path = typer.Option(Path("evals/questions/test.jsonl"), "--questions", help="Question set (JSONL); the held-out test split by default."),
        answerer: str = typer.Option("extractive", "--answerer", help="extractive or llm."),
        provider: str = typer.Option(None, "--provider", help="llamacpp, openai or ollama (with --answerer llm)."),
        baseline: str = typer.Option(None, "--baseline", help="naive (LangChain tutorial RAG) or bm25 (BM25 alone)."),
        out: Path = typer.Option(..., "--out", help="Output folder: metrics.json, answers.jsonl, report.md, plots."),
        limit: int = typer.Option(None, "--limit", min=1, help="Only the first N questions."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
        typed: str = typer.Option("as-written", "--typed",
                                  help="Ask each question as-written, lower (lower case, no mark) or chatty."),
    ) -> None:
        """Run a question set through our pipeline (or a baseline) and write metrics and a report."""
        from evals.baselines import make_pipeline
        from evals.dataset import CorpusPages, load_questions
        from evals.runner import evaluate
        from evals.typed import TYPINGS

        if answerer not in ("extractive", "llm"):
            raise CarbonQAError(f"unknown answerer '{answerer}' (extractive or llm)")
        if typed not in TYPINGS:
            raise CarbonQAError(f"unknown --typed '{typed}' ({', '.join(TYPINGS)})")
        settings = load_settings()
        qs = load_questions(questions)
        if baseline != "naive":
            need_index(settings)

        def built(done: int, total: int) -> None:
            console.print(f"[dim]naive index: embedded {done}/{total} chunks[/dim]", highlight=False)

        pipeline = make_pipeline(settings, answerer, provider, baseline, on_progress=built)
        meta, _ = evaluate(pipeline, qs, CorpusPages(settings), questions_file=questions,
                           settings_digest=settings.digest(), baseline=baseline, out_dir=out, limit=limit,
                           progress=progress, typed=typed)
        o = meta["overall"]
        console.print(
            f"{meta['primary']['name']} {meta['primary']['value']} · page recall@5 {o.get('page_recall@5')} · "
            f"key-fact recall {o.get('key_fact_recall')} · abstain recall {o.get('abstain_recall')} · "
            f"false abstain {o.get('false_abstain_rate')} · AUC {o.get('answerability_auc')} · "
            f"{meta['n']} questions in {meta['runtime_s']} s → {out}",
            highlight=False,
        )

    @eval_app.command("report")
    @cli_errors
    def report(dirs: list[Path] = typer.Argument(..., help="Two or more run folders; the first is the reference.")) -> None:
        """Print runs side by side with ratios against the first."""
        from evals.report import compare_dirs

        console.print(compare_dirs(dirs))

    @eval_app.command("train")
    @cli_errors
    def train(
        questions: Path = typer.Option(Path("evals/questions/dev.jsonl"), "--questions", help="Dev question set (JSONL)."),
        collect: bool = typer.Option(True, "--collect/--no-collect",
                                     help="Recompute the feature table from the index (else refit the committed one)."),
        max_false_abstain: float = typer.Option(0.04, "--max-false-abstain", min=0.0, max=0.5,
                                                help="Bound on the dev false-abstain rate that sets the threshold."),
        out: Path = typer.Option(None, "--out", help="Model JSON to write (default: the committed artifact)."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
    ) -> None:
        """Train the answerability model on the dev split and print its cross-validated figures."""
        import json

        from assistant.answering.answer import Assistant
        from assistant.answering.answerability import ARTIFACT
        from evals import rerank_train as R
        from evals import train as T
        from evals.dataset import load_questions

        settings = load_settings()
        if collect:
            need_index(settings)
            table, passages = T.collect(Assistant(settings), load_questions(questions), progress)
            T.write_table(table)
            R.write(passages)
        # Fit what was written (features rounded to 6 digits), so the committed table alone
        # reproduces the committed model.
        table = T.read_table()
        model, report = T.fit(table, R.read(), max_false_abstain=max_false_abstain, source=T.source_info(questions))
        target = out or ARTIFACT
        target.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        console.print_json(data=report)
        console.print(f"threshold {model.threshold:.4f} → {target}", highlight=False)
