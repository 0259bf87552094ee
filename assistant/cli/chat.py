"""`carbonqa chat [--host] [--port] [--auth user:password ...]`: the chat UI in the browser."""
from __future__ import annotations

import typer

from assistant.cli.config import cli_errors, console, err_console, load_settings, need_index
from ingest.errors import CarbonQAError


def parse_auth(values: list[str] | None, env_value: str | None = None) -> list[tuple[str, str]]:
    """'user:password' items (repeated, or comma-separated as in CARBONQA_AUTH) to Gradio's auth list."""
    out = []
    for raw in [*(values or []), *(env_value or "").split(",")]:
        raw = raw.strip()
        if not raw:
            continue
        user, sep, pw = raw.partition(":")
        if not sep or not user or not pw:
            raise CarbonQAError(f"login must be user:password, got '{user}{sep}…' (from --auth or CARBONQA_AUTH)")
        out.append((user, pw))
    return out


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    return host in ("localhost", "::1") or host.startswith("127.")


def register(app: typer.Typer) -> None:
    """Add the `chat` command."""

    @app.command("chat")
    @cli_errors
    def chat(
        host: str = typer.Option(None, "--host", help="Address to bind (default settings.host, 127.0.0.1)."),
        port: int = typer.Option(None, "--port", help="Port (default settings.port, 7860)."),
        auth: list[str] = typer.Option([], "--auth", metavar="USER:PASSWORD",
                                       help="Require this login (repeatable); also CARBONQA_AUTH=u1:p1,u2:p2."),
    ) -> None:
        """Start the chat UI: cited answers, source cards with page links, evidence-pack export."""
        import os

        import uvicorn

        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline tool: Gradio must not phone home

        settings = load_settings()
        host = host or settings.host
        port = port or settings.port
        logins = parse_auth(auth, settings.auth)
        need_index(settings)
        if not is_loopback(host) and not logins:
            err_console.print(f"[yellow]warning:[/yellow] listening on {host} without a login: anyone who can "
                              "reach this machine can use the assistant and read the corpus; "
                              "add --auth user:password", highlight=False)
        from assistant.ui.app import create_app

        err_console.print("loading the index and models…", highlight=False)
        web, service = create_app(settings, auth=logins or None)
        if not service.documents():
            raise CarbonQAError("the index is empty: run `carbonqa ingest` first")
        service.fill_in_background()
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        console.print(f"Carbon Policy Assistant on http://{shown}:{port}/"
                      + (f"  ({len(logins)} login(s) configured)" if logins else "") + "  — Ctrl+C to stop",
                      highlight=False)
        uvicorn.run(web, host=host, port=port, log_level="warning")
