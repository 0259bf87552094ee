"""`carbonqa config show`: the settings every command reads, and how commands report errors."""
from __future__ import annotations

import functools
import json
from typing import Callable

import typer
from typer.core import TyperGroup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.errors import CarbonQAError, ReindexNeeded
from ingest.settings import Settings, config_file, get_settings

console = Console()
err_console = Console(stderr=True)

# Exit codes shared by the commands (README, "Exit codes"); 0 is success.
EXIT_FAILED = 1  # some document (or download) failed; the rest went through
EXIT_ERROR = 2  # a user-facing error (bad manifest, unknown id, unreachable server, ...)
EXIT_REINDEX = 3  # the index was built with other settings; `carbonqa ingest --force` rebuilds it
SECRETS = ("openai_api_key", "auth")  # shown masked


def report_error(exc: CarbonQAError) -> typer.Exit:
    """Print a user-facing error as one red line on stderr; the Exit with its documented code."""
    err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_REINDEX if isinstance(exc, ReindexNeeded) else EXIT_ERROR)


def cli_errors(fn: Callable) -> Callable:
    """Turn a CarbonQAError into one red line and exit code 2 (3 for ReindexNeeded), no traceback.

    The root command group (ErrorHandlingGroup) does the same for every command; the decorator
    keeps a command correct when it is called on its own.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CarbonQAError as exc:
            raise report_error(exc) from None

    return wrapper


class ErrorHandlingGroup(TyperGroup):
    """The root `carbonqa` group: one error handler around every command, with the documented exit codes."""

    def invoke(self, ctx):
        """Run the command; a CarbonQAError from anywhere in it becomes one line and exit code 2 or 3."""
        try:
            return super().invoke(ctx)
        except CarbonQAError as exc:
            raise report_error(exc) from None


def load_settings() -> Settings:
    """Settings from env (CARBONQA_*) and carbonqa.toml; a bad value is one clear error."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise CarbonQAError(f"setting '{field}' (CARBONQA_{field.upper()} or {config_file()}): {err['msg']}") from None
    except (OSError, ValueError) as exc:  # an unreadable or malformed carbonqa.toml
        raise CarbonQAError(f"{config_file()}: {exc}") from None


def need_index(settings: Settings) -> None:
    """A clear error instead of an empty answer when nothing is ingested yet."""
    if not settings.chroma_url and not (settings.chroma_path / "chroma.sqlite3").exists():
        raise CarbonQAError("no index yet: run `carbonqa ingest` (or `make run`) first")


def settings_dict(settings: Settings) -> dict:
    """Every setting plus the derived paths and digests, JSON-ready."""
    data = settings.model_dump(mode="json")
    for secret in SECRETS:
        if data.get(secret):
            data[secret] = "***"
    data.update(
        manifest_path=str(settings.manifest_path), chroma_path=str(settings.chroma_path),
        model_path=str(settings.model_path), index_digest=settings.index_digest,
        config_file=str(config_file()), config_file_exists=config_file().exists(),
    )
    return data


def register(app: typer.Typer) -> None:
    """Add the `config` command group."""
    config_app = typer.Typer(no_args_is_help=True, help="Show the settings in force (env CARBONQA_*, carbonqa.toml).")
    app.add_typer(config_app, name="config")

    @config_app.command("show")
    @cli_errors
    def show(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
        """Print every setting with its value and meaning."""
        settings = load_settings()
        data = settings_dict(settings)
        if as_json:
            print(json.dumps(data, indent=2, sort_keys=True))
            return
        fields = Settings.model_fields
        table = Table(title="carbonqa settings", caption=f"env CARBONQA_<NAME> beats {config_file()} beats defaults")
        table.add_column("setting")
        table.add_column("value", overflow="fold")
        table.add_column("meaning", style="dim")
        for name, value in data.items():
            info = fields.get(name)
            table.add_row(name, "" if value is None else str(value), (info.description or "") if info else "(derived)")
        console.print(table)
