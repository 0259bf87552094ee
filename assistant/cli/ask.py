"""`carbonqa ask`: one question, a cited answer (or a plain 'the corpus does not say')."""
from __future__ import annotations

import datetime as dt
import json
import sys

import typer
from rich.console import Console
from rich.markup import escape

from assistant.cli.config import load_settings, need_index
from ingest.errors import CarbonQAError

console = Console()


def print_answer(ans) -> None:
    """Human-readable answer with a numbered source list."""
    style = "yellow" if ans.abstained else "bold"
    console.print(escape(ans.answer), style=style)
    if ans.standalone_question and ans.standalone_question != ans.question:
        console.print(f"[dim](searched as: {escape(ans.standalone_question)})[/dim]")
    if ans.citations:
        console.print("\n[bold]Sources[/bold]" if not ans.abstained else "\n[bold]Nearest passages[/bold]")
    for c in ans.citations:
        label = f" (printed p. {c.page_label})" if c.page_label and c.page_label != str(c.page) else ""
        version = f" v{c.version}" if c.version else ""
        console.print(f"[{c.n}] [cyan]{escape(c.title)}{version}[/cyan] — page {c.page}{label}"
                      + (f" — §{escape(c.section)}" if c.section else ""))
        console.print(f"    “{escape(c.quote)}”", style="dim")
    if ans.obligations:
        console.print("\n[bold]In the obligations register[/bold]")
    for o in ans.obligations:
        when = f" · by when: {o['deadline']}" if o.get("deadline") else ""
        console.print(f"  {escape(o['modality'])} · {escape(o['actor'])}{escape(when)} — {escape(o['doc_id'])}, "
                      f"p. {o['page']}: “{escape(o['quote'])}”", highlight=False)
    for w in ans.warnings:
        console.print(f"[yellow]note:[/yellow] {escape(w)}")
    for u in ans.unsupported:
        console.print(f"[red]removed (unsupported by the cited passages):[/red] {escape(u)}")
    t = ans.timings
    console.print(f"[dim]{ans.answerer} · retrieval {t['retrieval_ms']:.0f} ms · total {t['total_ms']:.0f} ms[/dim]")


def register(app: typer.Typer) -> None:
    """Add the `ask` command."""

    @app.command()
    def ask(
        question: str = typer.Argument(..., help="The question, in quotes."),
        doc: list[str] = typer.Option([], "--doc", help="Only these document ids (repeatable)."),
        category: list[str] = typer.Option([], "--category", help="Only these categories."),
        jurisdiction: list[str] = typer.Option([], "--jurisdiction", help="Only these jurisdictions."),
        issuer: list[str] = typer.Option([], "--issuer", help="Only documents whose issuer contains this."),
        answerer: str = typer.Option(None, "--answerer", help="extractive (default) or llm."),
        provider: str = typer.Option(None, "--provider", help="llamacpp, openai or ollama (with --answerer llm)."),
        history: list[str] = typer.Option([], "--history", help="Earlier questions of the conversation."),
        as_of: str = typer.Option(None, "--as-of", help="Answer from the versions in force on this date (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer object as JSON."),
    ) -> None:
        """Answer a question from the indexed corpus, with verbatim cited quotes."""
        from assistant.answering.answer import Assistant
        from assistant.retrieval.hybrid import Filters

        settings = load_settings()
        need_index(settings)
        try:
            when = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CarbonQAError(f"--as-of {as_of!r}: expected a date like 2024-06-30") from None
        assistant = Assistant(settings)
        if not assistant.search.documents():
            raise CarbonQAError("the index is empty: run `carbonqa ingest` first")
        streamed: list[str] = []
        on_token = None
        if (answerer or settings.answerer) == "llm" and not as_json:
            def on_token(piece: str) -> None:
                """Echo streamed tokens to stderr."""
                streamed.append(piece)
                sys.stderr.write(piece)
                sys.stderr.flush()
        ans = assistant.ask(
            question, history=history, answerer=answerer, provider=provider, on_token=on_token, as_of=when,
            filters=Filters(doc_ids=doc, categories=category, jurisdictions=jurisdiction, issuers=issuer),
        )
        if streamed:
            sys.stderr.write("\n\n")
        from assistant.compliance.evidence import obligations_for
        from assistant.compliance.obligations import ObligationRegister

        ans.obligations = obligations_for(ans, lambda: ObligationRegister.build(assistant.search.store, settings))
        if as_json:
            print(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
        else:
            print_answer(ans)
