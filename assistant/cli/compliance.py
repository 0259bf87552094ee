"""`carbonqa define|compare|diff`: definitions side by side, provisions compared, versions diffed."""
from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.cli.config import load_settings, need_index
from ingest.errors import CarbonQAError

console = Console()


def print_definitions(res: dict) -> None:
    """Human-readable `define` output: one block per instrument, then the DIFFERS flag."""
    head = escape(res["term"]) + (f" → {escape(res['expands_to'])}" if res["expands_to"] else "")
    console.print(f"[bold]{head}[/bold]")
    if not res["definitions"]:
        console.print(f"[yellow]no definition found for “{escape(res['term'])}”[/yellow]")
        if res["nearest"]:
            console.print("nearest known terms: " + ", ".join(escape(t) for t in res["nearest"]))
        return
    for i, d in enumerate(res["definitions"], 1):
        sec = f" — §{escape(d['section'])}" if d["section"] else ""
        console.print(f"[{i}] [cyan]{escape(d['doc_id'])}[/cyan] — page {d['page']}{sec} — term “{escape(d['term'])}”")
        console.print(f"    “{escape(d['definition'])}”", style="dim")
    if res["differs"]:
        console.print("[bold red]DIFFERS[/bold red]: these instruments define the term differently")
    elif len(res["definitions"]) > 1:
        console.print("[green]consistent[/green]: the definitions largely agree")


def print_comparison(cmp) -> None:
    """A rich table, aspects down, documents across."""
    table = Table(title=f"compare: {cmp.topic}", show_lines=True)
    table.add_column("aspect", overflow="fold")
    for d in cmp.doc_ids:
        table.add_column(d, overflow="fold")
    for a, row in zip(cmp.aspects, cmp.cells):
        table.add_row(escape(a), *[escape(c.render()) if c.found else f"[yellow]{escape(c.render())}[/yellow]" for c in row])
    console.print(table)


def print_diff(changes, old_id: str, new_id: str, limit: int) -> None:
    """Changed, added and removed provisions by section path, with quotes."""
    from assistant.compliance.diff import changed_sentences

    console.print(f"[bold]{escape(old_id)} → {escape(new_id)}[/bold]: "
                  + ", ".join(f"{sum(c.kind == k for c in changes)} {k}" for k in ("changed", "added", "removed")))
    for c in changes[:limit]:
        color = {"added": "green", "removed": "red", "changed": "yellow"}[c.kind]
        pages = f"p. {c.old_page or '-'} → {c.new_page or '-'}"
        console.print(f"[{color}]{c.kind}[/{color}] §{escape(c.section or '(front matter)')} ({pages}"
                      + (f", similarity {c.ratio:.2f})" if c.kind == "changed" else ")"))
        gone, added = changed_sentences(c.old, c.new)
        for g in gone[:4]:
            console.print(f"    [red]- “{escape(g)}”[/red]")
        for a in added[:4]:
            console.print(f"    [green]+ “{escape(a)}”[/green]")
    if len(changes) > limit:
        console.print(f"[dim]… {len(changes) - limit} more (use --limit or --json)[/dim]")


def register(app: typer.Typer) -> None:
    """Add the `define`, `compare` and `diff` commands."""

    @app.command()
    def define(
        term: str = typer.Argument(..., help="The term or acronym, e.g. validation or VVB."),
        doc: list[str] = typer.Option([], "--doc", help="Only these document ids (repeatable)."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Every instrument's definition of a term, side by side, flagged when they differ."""
        from assistant.answering.definitions import DefinitionIndex, define as run_define
        from assistant.retrieval.hybrid import HybridSearch

        settings = load_settings()
        t = time.perf_counter()
        need_index(settings)
        search = HybridSearch(settings)
        if doc:
            search.resolve(_filters(doc))
        res = run_define(DefinitionIndex.build(search), term, doc or None)
        res["timings"] = {"total_ms": round((time.perf_counter() - t) * 1000, 1)}
        if as_json:
            print(json.dumps(res, ensure_ascii=False, indent=2))
        else:
            print_definitions(res)

    @app.command()
    def compare(
        topic: str = typer.Argument(..., help="The topic, in quotes."),
        doc: list[str] = typer.Option(..., "--doc", help="Documents to compare (repeat, at least two)."),
        fmt: str = typer.Option("table", "--format", help="table, md, csv or json."),
        rows: int = typer.Option(3, "--rows", min=1, max=5, help="Ranked rows when the topic has one aspect."),
    ) -> None:
        """How each document treats a topic: verbatim quotes aligned by aspect, gaps stated."""
        from assistant.answering.answer import Assistant
        from assistant.compliance.compare import compare as run_compare, to_csv, to_markdown

        settings = load_settings()
        if len(doc) < 2:
            raise CarbonQAError("compare needs at least two --doc ids")
        if fmt not in ("table", "md", "csv", "json"):
            raise CarbonQAError(f"unknown --format {fmt}: use table, md, csv or json")
        need_index(settings)
        assistant = Assistant(settings)
        assistant.search.resolve(_filters(doc))
        cmp = run_compare(assistant, topic, doc, rows)
        if fmt == "md":
            print(to_markdown(cmp), end="")
        elif fmt == "csv":
            print(to_csv(cmp), end="")
        elif fmt == "json":
            print(json.dumps(cmp.to_dict(), ensure_ascii=False, indent=2))
        else:
            print_comparison(cmp)
            console.print(f"[dim]{cmp.timings['total_ms']:.0f} ms[/dim]")

    @app.command()
    def diff(
        old_id: str = typer.Argument(..., help="The older document id."),
        new_id: str = typer.Argument(..., help="The newer document id."),
        limit: int = typer.Option(30, "--limit", help="Changes to show."),
        as_json: bool = typer.Option(False, "--json", help="Print the changes as JSON."),
        obligations: bool = typer.Option(False, "--obligations", help="Obligations added, removed and changed."),
    ) -> None:
        """Provisions changed, added or removed between two ingested versions, by section."""
        from assistant.compliance.diff import diff_documents
        from ingest.store import Store

        settings = load_settings()
        need_index(settings)
        if obligations:  # the obligations view lives with the register (assistant/cli/obligations.py)
            from assistant.cli.obligations import diff_command
            return diff_command(settings, old_id, new_id, limit, as_json)
        store = Store(settings)
        store.check_settings()  # sections diffed across index settings would not line up
        changes = diff_documents(store, old_id, new_id)
        if as_json:
            print(json.dumps([c.to_dict() for c in changes], ensure_ascii=False, indent=2))
        else:
            print_diff(changes, old_id, new_id, limit)


def _filters(doc_ids: list[str]):
    """Filters for a list of document ids (validates them against the index)."""
    from assistant.retrieval.hybrid import Filters

    return Filters(doc_ids=list(doc_ids))
