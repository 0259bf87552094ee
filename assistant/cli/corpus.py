"""`carbonqa corpus list|fetch`: what the manifest declares, what is on disk, what is indexed."""
from __future__ import annotations

import json
from collections import Counter

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.config import EXIT_FAILED, cli_errors, console, err_console, load_settings
from ingest.status import corpus_rows

_STYLE = {"ingested": "green", "failed": "red", "missing": "yellow", "bundled": "cyan", "fetched": "cyan"}


def _print_rows(rows: list[dict]) -> None:
    """The human form of `corpus list`."""
    table = Table(title="corpus")
    for col, kw in (("document", {"overflow": "fold"}), ("status", {}), ("category", {}), ("version", {}),
                    ("pages", {"justify": "right"}), ("chunks", {"justify": "right"}),
                    ("note", {"overflow": "fold", "style": "dim"})):
        table.add_column(col, **kw)
    for r in rows:
        note = r["error"]
        if r["stale"]:
            note = "changed since indexed; run `carbonqa ingest`" + (f"; {note}" if note else "")
        if r["availability"] in ("adhoc", "not in manifest"):
            note = f"{r['availability']}" + (f"; {note}" if note else "")
        style = _STYLE.get(r["status"], "")
        table.add_row(r["id"], f"[{style}]{r['status']}[/{style}]" if style else r["status"], r["category"],
                      r["version"], str(r["pages"] or ""), str(r["chunks"] or ""), escape(note))
    console.print(table)
    counts = Counter(r["status"] for r in rows)
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) +
                  f"; {sum(r['pages'] for r in rows)} pages, {sum(r['chunks'] for r in rows)} chunks indexed")


def register(app: typer.Typer) -> None:
    """Add the `corpus` command group."""
    corpus_app = typer.Typer(no_args_is_help=True, help="The document collection: list it, fetch what is not bundled.")
    app.add_typer(corpus_app, name="corpus")

    @corpus_app.command("list")
    @cli_errors
    def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
        """Every document with its status: bundled, fetched, missing, ingested or failed."""
        rows = corpus_rows(load_settings())
        if as_json:
            print(json.dumps(rows, indent=2))
        else:
            _print_rows(rows)

    @corpus_app.command("fetch")
    @cli_errors
    def fetch(
        ids: list[str] = typer.Argument(None, metavar="[ID]...", help="Documents to fetch (default: all not bundled)."),
        force: bool = typer.Option(False, "--force", help="Download again even if a fetched copy exists."),
    ) -> None:
        """Download listed documents that have a source_url into corpus/fetched/ (sha256-checked)."""
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        from ingest.fetch import fetch_documents

        settings = load_settings()
        tasks: dict[str, int] = {}
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      console=err_console, transient=True) as progress:
            def on_progress(doc_id: str, done: int, total: int | None) -> None:
                if doc_id not in tasks:
                    tasks[doc_id] = progress.add_task(doc_id, total=total)
                progress.update(tasks[doc_id], completed=done, total=total)

            results = fetch_documents(settings, ids or None, force=force, on_progress=on_progress)
        for r in results:
            if r.status == "failed":
                err_console.print(f"[red]{escape(r.line())}[/red]", highlight=False, soft_wrap=True)
            else:
                console.print(escape(r.line()), highlight=False, soft_wrap=True)
        got = sum(r.status == "downloaded" for r in results)
        failed = sum(r.status == "failed" for r in results)
        console.print(f"{got} downloaded, {failed} failed, {len(results) - got - failed} other"
                      + ("; run `carbonqa ingest` to index them" if got else ""))
        if failed:
            raise typer.Exit(EXIT_FAILED)

