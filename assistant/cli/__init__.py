"""`carbonqa`: one console script, commands grouped by noun (corpus, ingest, ask, chat, eval, bench)."""
from __future__ import annotations

import importlib

import typer

from assistant.cli.config import ErrorHandlingGroup

app = typer.Typer(cls=ErrorHandlingGroup, no_args_is_help=True, add_completion=False,
                  help="Carbon Policy Assistant: cited answers from carbon-market rulebooks.")

# Each module adds its own commands through register(app); one module per noun.
COMMAND_MODULES = ["config", "corpus", "ingest", "ask", "chat", "eval", "bench", "compliance", "obligations"]
for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(f"assistant.cli.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"assistant.cli.{_name}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()
