"""`carbonqa ingest [PATH...] [--only ID] [--force]`: bring the index in line with the corpus."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.cli.config import EXIT_FAILED, cli_errors, console, err_console, load_settings

_STYLE = {"ingested": "green", "skipped": "dim", "failed": "red", "purged": "yellow"}


def _split_ids(values: list[str] | None) -> list[str] | None:
    """`--only a --only b` and `--only a,b` both name a and b."""
    ids = [part.strip() for v in values or [] for part in v.split(",") if part.strip()]
    return ids or None


def print_report(report) -> None:
    """Per-document table, totals, and one line per failure."""
    shown = [r for r in report.results if r.status != "missing"]
    table = Table(title="ingest")
    table.add_column("document", overflow="fold")
    table.add_column("status")
    for col in ("pages", "chunks", "seconds"):
        table.add_column(col, justify="right")
    for r in shown:
        style = _STYLE.get(r.status, "")
        status = f"[{style}]{r.status}[/{style}]" if style else r.status
        secs = f"{r.seconds:.1f}" if r.status == "ingested" else ""
        table.add_row(r.doc_id, status, str(r.pages or ""), str(r.chunks or ""), secs)
    if shown:
        console.print(table)
    t = report.totals()
    skipped = sum(r.status == "skipped" for r in report.results)
    console.print(
        f"ingested {t['documents']} documents ({t['pages']} pages, {t['chunks']} chunks) in {t['seconds']:.1f} s"
        f" = {t['pages_per_second']} pages/s; {skipped} unchanged, {len(report.failed)} failed",
        highlight=False, soft_wrap=True,
    )
    missing = [r.doc_id for r in report.results if r.status == "missing"]
    if missing:
        console.print(f"[dim]{len(missing)} listed documents are not on disk; "
                      "`carbonqa corpus fetch` downloads those with a source_url[/dim]")
    for r in report.failed:
        err_console.print(f"[red]failed:[/red] {escape(r.error)}", highlight=False, soft_wrap=True)


def progress_line(p) -> str:
    """One finished document, for output that is not a terminal (logs, CI)."""
    r = p.result
    head = f"[{p.n}/{p.total}] {r.doc_id}: "
    if r.status == "ingested":
        return head + f"ingested, {r.pages} pages, {r.chunks} chunks, {r.seconds:.1f} s"
    if r.status == "skipped":
        return head + "skipped (unchanged)"
    return head + r.status + (f": {r.error}" if r.error else "")


@contextmanager
def progress_display(console: Console) -> Iterator[Callable]:
    """The on_progress callback: a live bar (documents, pages, current document) in a terminal, else lines."""
    if not console.is_terminal:
        def on_line(p) -> None:
            if p.result is not None:
                console.print(progress_line(p), markup=False, highlight=False, soft_wrap=True)
        yield on_line
        return
    columns = (TextColumn("[bold]ingest[/bold]"), BarColumn(), MofNCompleteColumn(),
               TextColumn("documents · {task.fields[pages]} pages · {task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=None, pages=0)

        def on_bar(p) -> None:
            current = escape(p.doc_id) if p.result is None else "…"
            bar.update(task, description=current, completed=p.n - (p.result is None), total=p.total,
                       pages=p.pages_done)
        yield on_bar


def register(app: typer.Typer) -> None:
    """Add the `ingest` command."""

    @app.command("ingest")
    @cli_errors
    def ingest_cmd(
        paths: list[Path] = typer.Argument(
            None, metavar="[PATH]...", help="Ad-hoc files to add (ids come from file names); default: the manifest."),
        only: list[str] = typer.Option(None, "--only", metavar="ID", help="Only these documents (repeat or comma-separate)."),
        force: bool = typer.Option(False, "--force", help="Re-ingest unchanged documents too; with no --only or PATH, drop and rebuild the whole index."),
        wait: float = typer.Option(0.0, "--wait", metavar="SECONDS", min=0.0, help="Wait this long for another ingest of the same data dir to finish."),
    ) -> None:
        """Extract, chunk, embed and store new or changed documents; unchanged ones are skipped."""
        from ingest.pipeline import ingest

        settings = load_settings()
        with progress_display(err_console) as on_progress:
            report = ingest(settings, only=_split_ids(only), force=force, paths=paths or None,
                            on_progress=on_progress, lock_timeout=wait)
        print_report(report)
        if report.failed:
            raise typer.Exit(EXIT_FAILED)
