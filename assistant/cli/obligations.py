"""`carbonqa obligations`: the obligations register, filtered; `carbonqa eval obligations`: its gold-set scores."""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.config import cli_errors, console, load_settings, need_index
from ingest.errors import CarbonQAError

CSV_FIELDS = ["id", "doc_id", "version", "page", "page_label", "section", "modality", "modal", "actor",
              "actor_surface", "action", "deadline", "condition", "lead_in", "quote", "crossrefs", "verified"]


def load_register(settings, rebuild: bool = False):
    """The register of the current index (cached per index version)."""
    from assistant.compliance.obligations import ObligationRegister
    from ingest.store import Store

    need_index(settings)
    return ObligationRegister.build(Store(settings), settings, use_cache=not rebuild)


def parse_date(text: str | None) -> dt.date | None:
    """YYYY-MM-DD, or a clear error."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CarbonQAError(f"--as-of {text!r}: expected a date like 2024-06-30") from None


def write_csv(obligations, path: Path) -> None:
    """One row per obligation; cross-references as 'text -> doc §section' joined by '; '."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for o in obligations:
            row = o.to_dict()
            row["crossrefs"] = "; ".join(
                f"{x['text']} -> {x['doc_id'] or '?'}" + (f" §{x['section']}" if x["section"] else "")
                for x in o.crossrefs)
            w.writerow(row)


def print_table(res, limit: int) -> None:
    """The register as a terminal table, one row per obligation."""
    for d, note in res.notes.items():
        console.print(f"[yellow]{escape(d)}: {escape(note)}[/yellow]")
    table = Table(show_lines=False, title=f"{len(res.obligations)} obligation(s)")
    for col in ("doc", "page", "section", "modality", "actor", "deadline", "quote"):
        table.add_column(col, overflow="fold")
    for o in res.obligations[:limit]:
        page = f"{o.page}" + (f" ({o.page_label})" if o.page_label and o.page_label != str(o.page) else "")
        quote = (f"{o.lead_in} … " if o.lead_in else "") + o.quote
        table.add_row(escape(o.doc_id), page, escape(o.section.split(" > ")[-1]), o.modality, escape(o.actor),
                      escape(o.deadline or ""), escape(quote if o.verified else quote + " [unverified]"))
    console.print(table)
    if len(res.obligations) > limit:
        console.print(f"[dim]… {len(res.obligations) - limit} more (use --limit, --json or --csv)[/dim]")


def run_obligations(settings, doc, actor, modality, topic, as_of, rebuild=False):
    """Build or load the register and run one filtered query."""
    from assistant.compliance.query import ObligationQuery, in_force_ids, query
    from ingest.manifest import load_manifest

    reg = load_register(settings, rebuild)
    allowed = None
    if as_of:
        entries = load_manifest(settings.manifest_path) if settings.manifest_path.exists() else []
        allowed = in_force_ids(reg, entries, parse_date(as_of))
    search = None
    if topic:
        from assistant.retrieval.hybrid import HybridSearch

        search = HybridSearch(settings)
    q = ObligationQuery(doc_ids=list(doc), actor=actor, modality=modality, topic=topic, in_force=allowed)
    return reg, query(reg, q, search)


def print_obligation_diff(changes, old_id: str, new_id: str, limit: int) -> None:
    """Obligations added, removed and changed between two versions, with quotes and pages."""
    console.print(f"[bold]obligations {escape(old_id)} → {escape(new_id)}[/bold]: "
                  + ", ".join(f"{sum(c.kind == k for c in changes)} {k}" for k in ("changed", "added", "removed")))
    for c in changes[:limit]:
        color = {"added": "green", "removed": "red", "changed": "yellow"}[c.kind]
        pages = f"p. {c.old.page if c.old else '-'} → {c.new.page if c.new else '-'}"
        console.print(f"[{color}]{c.kind}[/{color}] ({pages})")
        if c.old:
            console.print(f"    [red]- “{escape(c.old.text())}”[/red]")
        if c.new:
            console.print(f"    [green]+ “{escape(c.new.text())}”[/green]")


def register(app: typer.Typer) -> None:
    """Add `obligations`, and `eval obligations` to the eval group when it exists."""

    @app.command("obligations")
    @cli_errors
    def obligations_cmd(
        doc: list[str] = typer.Option([], "--doc", help="Only these document ids (repeatable)."),
        actor: str = typer.Option(None, "--actor", help="Only this actor, e.g. 'project proponent', VVB, Verra."),
        modality: str = typer.Option(None, "--modality", help="duty, prohibition, permission or recommendation."),
        topic: str = typer.Option(None, "--topic", help="Rank by hybrid search over the obligations, e.g. 'buffer'."),
        as_of: str = typer.Option(None, "--as-of", help="Only documents in force on this date (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print the register as JSON."),
        csv_file: Path = typer.Option(None, "--csv", help="Also write the rows to this CSV file."),
        limit: int = typer.Option(50, "--limit", help="Rows in the terminal table."),
        rebuild: bool = typer.Option(False, "--rebuild", help="Ignore the cached register of this index version."),
    ) -> None:
        """Every obligation (shall / must / may / should) of the rulebooks, cited to its page."""
        settings = load_settings()
        reg, res = run_obligations(settings, doc, actor, modality, topic, as_of, rebuild)
        if csv_file:
            write_csv(res.obligations, csv_file)
        if as_json:
            out = {"index_version": reg.version, **res.to_dict()}
            print(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            print_table(res, limit)
            if csv_file:
                console.print(f"wrote {len(res.obligations)} row(s) to {csv_file}", highlight=False)

    # `eval` is registered before this module (COMMAND_MODULES order): add a subcommand to its group.
    group = next((g.typer_instance for g in app.registered_groups if g.name == "eval"), None)
    if group is None:
        return

    @group.command("obligations")
    @cli_errors
    def eval_obligations(
        gold: Path = typer.Option(None, "--gold", help="Gold set [default: evals/obligations/gold.jsonl]."),
        errors: bool = typer.Option(False, "--errors", help="Include every error in the JSON."),
    ) -> None:
        """Score the obligations parser on the gold set: detection P/R, modality, actor, deadline, cross-refs."""
        from evals.obligations_eval import GOLD, evaluate, load_gold, resolver_from_store
        from ingest.store import Store

        settings = load_settings()
        resolver = None
        if settings.chroma_url or (settings.chroma_path / "chroma.sqlite3").exists():
            resolver = resolver_from_store(Store(settings))
        res = evaluate(load_gold(gold or GOLD), resolver)
        if not errors:
            for part in res["splits"].values():
                part["errors"] = len(part["errors"])
        print(json.dumps(res, ensure_ascii=False, indent=2))


def diff_command(settings, old_id: str, new_id: str, limit: int, as_json: bool) -> None:
    """`carbonqa diff OLD NEW --obligations`: the register's view of a version change."""
    from assistant.compliance.query import diff_obligations

    changes = diff_obligations(load_register(settings), old_id, new_id)
    if as_json:
        print(json.dumps([c.to_dict() for c in changes], ensure_ascii=False, indent=2))
    else:
        print_obligation_diff(changes, old_id, new_id, limit)
