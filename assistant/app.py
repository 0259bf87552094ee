"""The chat UI: a Gradio Blocks app mounted in FastAPI, with a /pdf route for the cited pages.

One `ChatService` (one Assistant, warmed up once) serves every browser session and API client;
Gradio's queue bounds how many questions run at once, which matters on a 2-core machine.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline tool: no telemetry calls

import gradio as gr  # noqa: E402
from fastapi import FastAPI, HTTPException, Request  # noqa: E402
from fastapi.responses import FileResponse  # noqa: E402

from assistant import app_render as render  # noqa: E402
from assistant.answer import Assistant  # noqa: E402
from assistant.evidence import append_feedback, evidence_pack, write_pack  # noqa: E402
from assistant.retrieval import Filters  # noqa: E402
from ingest.errors import CarbonQAError  # noqa: E402
from ingest.manifest import TEXT_SUFFIXES, DocumentEntry, load_manifest  # noqa: E402
from ingest.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)
CONCURRENCY = 2  # one question per core; more would only make every answer slower
STREAM_DELAY_S = 0.06  # pause between extractive sentences so the answer visibly builds up
EXAMPLES = [
    "What are the steps of the CDM additionality tool (TOOL01)?",
    "What default OM/BM weights does TOOL07 prescribe for wind and solar projects?",
    "How does the Vanuatu ITMO manual define a 'Mitigation Outcome'?",
    "When does ICRA expect trading under India's CCTS to begin?",
]


class ChatService:
    """The process-wide state behind the UI and API: the Assistant, the manifest, the settings."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None):
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        self._manifest: tuple[float, dict[str, DocumentEntry]] = (-1.0, {})
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the index and models before the first question."""
        self.assistant.warm_up()

    def manifest(self) -> dict[str, DocumentEntry]:
        """Manifest entries by id, re-read when the file changes."""
        path = self.settings.manifest_path
        mtime = path.stat().st_mtime if path.exists() else 0.0
        with self._lock:
            if mtime != self._manifest[0]:
                self._manifest = (mtime, {e.id: e for e in load_manifest(path)} if mtime else {})
            return self._manifest[1]

    def pdf_path(self, doc_id: str) -> Path | None:
        """The file for a manifest id, only if it exists inside corpus_dir and is a PDF or text file."""
        entry = self.manifest().get(doc_id)
        if entry is None or entry.adhoc:
            return None
        path = entry.path(self.settings.corpus_dir)
        if path is None:
            return None
        root = self.settings.corpus_dir.resolve()
        real = path.resolve()
        if not real.is_relative_to(root) or not real.is_file():
            return None
        return real if real.suffix.lower() in {".pdf", *TEXT_SUFFIXES} else None

    def servable(self) -> set[str]:
        """Manifest ids whose file the /pdf route will serve."""
        return {d for d in self.manifest() if self.pdf_path(d) is not None}

    def documents(self) -> dict[str, dict]:
        """Searchable documents from the index registry."""
        return self.assistant.search.documents()

    def titles(self) -> dict[str, str]:
        """Document titles by id, for the 'documents searched' list."""
        return {d: r.get("title") or d for d, r in self.documents().items()}

    def choices(self) -> dict[str, list]:
        """Filter choices: categories, jurisdictions, and (label, id) pairs for documents."""
        docs = self.documents()
        juris = {j for r in docs.values() for j in str(r.get("jurisdictions", "")).strip("|").split("|") if j}
        return {
            "categories": sorted({r.get("category", "") for r in docs.values()} - {""}),
            "jurisdictions": sorted(juris, key=str.lower),
            "documents": sorted(((f"{r.get('title') or d} ({d})", d) for d, r in docs.items()), key=lambda x: x[0].lower()),
        }

    def local_llm_available(self) -> bool:
        """True when the local GGUF model file is present (`make llm` downloads it)."""
        return self.settings.model_path.exists()

    def endpoint_provider(self) -> str:
        """The provider behind 'configured endpoint': the configured one unless that is the local model."""
        return self.settings.llm_provider if self.settings.llm_provider != "llamacpp" else "openai"

    def answerer_choices(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the answerer radio."""
        prov = self.endpoint_provider()
        url = self.settings.openai_base_url if prov == "openai" else self.settings.ollama_url
        local = "Local LLM (Qwen, llama.cpp)"
        if not self.local_llm_available():
            local += " — unavailable: run `make llm`"
        return [("Extractive (verbatim quotes)", "extractive"), (local, "llm-local"),
                (f"Configured endpoint ({prov} at {url})", "llm-endpoint")]

    def resolve_answerer(self, choice: str | None) -> tuple[str, str | None]:
        """Map a UI/API answerer choice to (answerer, provider); the local LLM needs its model file."""
        choice = (choice or "extractive").strip()
        if choice == "extractive":
            return "extractive", None
        if choice in ("llm-local", "llamacpp"):
            if not self.local_llm_available():
                raise CarbonQAError(f"the local LLM is not installed ({self.settings.model_path} is missing): "
                                    "run `make llm`, or choose the extractive answerer")
            return "llm", "llamacpp"
        if choice in ("llm-endpoint", "llm", "openai", "ollama"):
            return "llm", choice if choice in ("openai", "ollama") else self.endpoint_provider()
        raise CarbonQAError(f"unknown answerer '{choice}': extractive, llm-local or llm-endpoint")

    def ask(self, question: str, history: list[str], categories=None, jurisdictions=None, documents=None,
            answerer: str | None = None, on_token=None) -> dict:
        """Answer one question; the answer object as JSON-ready data."""
        kind, provider = self.resolve_answerer(answerer)
        filters = Filters(doc_ids=list(documents or []), categories=list(categories or []),
                          jurisdictions=list(jurisdictions or []))
        ans = self.assistant.ask(question, history=history, filters=filters, answerer=kind, provider=provider,
                                 on_token=on_token if kind == "llm" else None)
        return ans.to_dict()

    def stream(self, question: str, history: list[str], categories, jurisdictions, documents,
               answerer: str | None) -> Iterator[tuple[str, dict | None, int]]:
        """Yield (text so far, answer when known, citations to show) while an answer is produced."""
        kind, _ = self.resolve_answerer(answerer)
        if kind == "extractive":
            ans = self.ask(question, history, categories, jurisdictions, documents, answerer)
            cits = ans["citations"]
            if ans["abstained"] or not cits:
                yield ans["answer"], ans, len(cits)
                return
            for i in range(1, len(cits) + 1):  # one verbatim sentence at a time, each with its card
                yield " ".join(f"{c['quote']} [{c['n']}]" for c in cits[:i]), ans, i
                time.sleep(STREAM_DELAY_S)
            return
        # The LLM produces tokens on a worker thread; the generator relays them as they arrive.
        tokens: queue.Queue = queue.Queue()
        box: dict = {}

        def run() -> None:
            try:
                box["ans"] = self.ask(question, history, categories, jurisdictions, documents, answerer, tokens.put)
            except BaseException as exc:  # handed to the generator, which re-raises it
                box["err"] = exc
            finally:
                tokens.put(None)

        threading.Thread(target=run, daemon=True, name="carbonqa-llm").start()
        text = ""
        while (piece := tokens.get()) is not None:
            text += piece
            yield text, None, 0
        if "err" in box:
            raise box["err"]
        yield box["ans"]["answer"], box["ans"], len(box["ans"]["citations"])

    def sha_by_doc(self) -> dict[str, str]:
        """sha256 per document: the manifest's value, else the one recorded at ingest (ad-hoc files)."""
        out = {d: r.get("sha256", "") for d, r in self.documents().items()}
        out.update({d: e.sha256 for d, e in self.manifest().items() if e.sha256})
        return out

    def export(self, answer_json: str) -> tuple[str, str]:
        """Write the evidence pack for an answer; paths of the Markdown and JSON files."""
        ans = _load_answer(answer_json)
        md, js = write_pack(evidence_pack(ans, self.sha_by_doc(), self.settings))
        return str(md), str(js)

    def feedback(self, answer_json: str, verdict: str, comment: str = "") -> dict:
        """Record a thumbs up/down for an answer in data_dir/feedback.jsonl."""
        return append_feedback(self.settings, _load_answer(answer_json), verdict, comment)


def _load_answer(answer_json: str) -> dict:
    """Parse an answer JSON (as /ask returns it); a clear error when there is none yet."""
    if not answer_json or not str(answer_json).strip():
        raise CarbonQAError("there is no answer yet: ask a question first")
    try:
        ans = json.loads(answer_json) if isinstance(answer_json, str) else dict(answer_json)
    except (ValueError, TypeError):
        raise CarbonQAError("the answer is not valid JSON (pass what /ask returned)") from None
    if not isinstance(ans, dict) or "question" not in ans or "answer" not in ans:
        raise CarbonQAError("the answer JSON lacks 'question' and 'answer' (pass what /ask returned)")
    return ans


def _history(value) -> list[str]:
    """Earlier user questions from a JSON list of strings or of {'role','content'} messages."""
    if not value:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise CarbonQAError("history_json must be a JSON list of earlier questions")
    return [str(m.get("content", "")) if isinstance(m, dict) else str(m)
            for m in items if not isinstance(m, dict) or m.get("role", "user") == "user"]


BUILD_UI_PLACEHOLDER


def _gradio_user(app: FastAPI, request: Request) -> str | None:
    """The user logged into the mounted Gradio app (its session cookie), or None."""
    for route in app.routes:
        sub = getattr(route, "app", None)
        if sub is not None and hasattr(sub, "tokens") and hasattr(sub, "cookie_id"):
            token = (request.cookies.get(f"access-token-{sub.cookie_id}")
                     or request.cookies.get(f"access-token-unsecure-{sub.cookie_id}"))
            return sub.tokens.get(token)
    return None


def create_app(settings: Settings, auth: list[tuple[str, str]] | None = None,
               service: ChatService | None = None, warm: bool = True) -> tuple[FastAPI, ChatService]:
    """FastAPI app with the /pdf route and the Gradio UI mounted at '/'."""
    service = service or ChatService(settings)
    if warm:
        service.warm_up()
    app = FastAPI(title="Carbon Policy Assistant", docs_url=None, redoc_url=None, openapi_url=None)

    # `:path` so that every /pdf/... request, however encoded, reaches this handler and its 404.
    @app.get("/pdf/{doc_id:path}")
    def pdf(doc_id: str, request: Request) -> FileResponse:
        """Serve a manifest document by id (PDF, or text as text/plain); anything else is 404."""
        if auth and _gradio_user(app, request) is None:
            raise HTTPException(status_code=401, detail="log in first")
        path = service.pdf_path(doc_id)
        if path is None:
            raise HTTPException(status_code=404, detail="no such document")
        media = "application/pdf" if path.suffix.lower() == ".pdf" else "text/plain; charset=utf-8"
        # nosniff: a text document containing markup must never be rendered as HTML by the browser.
        headers = {"X-Content-Type-Options": "nosniff", "Content-Disposition": f'inline; filename="{path.name}"'}
        return FileResponse(path, media_type=media, headers=headers)

    demo = build_blocks(service)
    theme = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    gr.mount_gradio_app(app, demo, path="/", auth=auth or None, ssr_mode=False, theme=theme, css=render.CSS,
                        footer_links=["api"], auth_message="Carbon Policy Assistant: log in to ask questions.")
    return app, service
