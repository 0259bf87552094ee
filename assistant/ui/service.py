"""The process-wide state behind the chat UI and its API: one Assistant, the manifest, issued answers.

One `ChatService` (one Assistant, warmed up once) serves every browser session and API client.
Every answer it hands out is signed, so that an evidence pack or a feedback row can only be made
from an answer this process issued, unchanged.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Iterator

from assistant.answering.answer import Assistant
from assistant.compliance.evidence import obligations_for
from assistant.compliance.obligations import ObligationRegister
from assistant.ui.files import AppFiles
from assistant.ui.evidence import AnswerSigner, evidence_pack, load_answer, write_pack
from assistant.ui.feedback import append_feedback, check_verdict
from assistant.retrieval.hybrid import Filters
from ingest.errors import CarbonQAError
from ingest.manifest import TEXT_SUFFIXES, DocumentEntry, load_manifest
from ingest.settings import Settings

STREAM_DELAY_S = 0.06  # pause between extractive sentences so the answer visibly builds up


log = logging.getLogger(__name__)


class ChatService:
    """The process-wide state behind the UI and API: the Assistant, the manifest, the settings."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None, files: AppFiles | None = None):
        """Create the Assistant (not yet warmed up) for these settings."""
        self.settings = settings
        self.assistant = assistant or Assistant(settings)
        self.feedback_path = settings.data_dir / "feedback.jsonl"
        self.signer = AnswerSigner()
        self.files = files or AppFiles()
        self._manifest: tuple[float, dict[str, DocumentEntry]] = (-1.0, {})
        self._lock = threading.Lock()
        self._register: ObligationRegister | None = None
        self._register_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the index and models before the first question."""
        self.assistant.warm_up()

    def fill_in_background(self) -> threading.Event:
        """Encode the index's sentences on their own while serving (first start per index version: ~75 s of CPU).

        Until a document is done its answers encode their 12 best sentences per question instead
        (~130 ms more on 2 cores). Returns the event that stops the fill between documents.
        """
        stop = threading.Event()

        def run() -> None:
            try:
                self.register()  # a few seconds once per index version; answers to "what must …" use it
            except Exception:  # noqa: BLE001 - built again on the first question that needs it
                log.warning("building the obligations register failed", exc_info=True)
            try:
                self.assistant.fill_sentence_vectors(stop)
            except Exception:  # noqa: BLE001 - answers still work without the filled vectors
                log.warning("background sentence encoding failed", exc_info=True)

        threading.Thread(target=run, daemon=True, name="carbonqa-sentences").start()
        return stop

    def register(self) -> ObligationRegister:
        """The obligations register of the current index version (cached on disk; rebuilt after a re-ingest)."""
        store = self.assistant.search.store
        with self._register_lock:
            if self._register is None or self._register.version != store.index_version():
                self._register = ObligationRegister.build(store, self.settings)
            return self._register

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
        if choice == "llm":  # plain 'llm' (as in `carbonqa ask --answerer llm`) means the configured provider
            choice = "llm-local" if self.settings.llm_provider == "llamacpp" else self.settings.llm_provider
        if choice == "extractive":
            return "extractive", None
        if choice in ("llm-local", "llamacpp"):
            if not self.local_llm_available():
                raise CarbonQAError(f"the local LLM is not installed ({self.settings.model_path} is missing): "
                                    "run `make llm`, or choose the extractive answerer")
            return "llm", "llamacpp"
        if choice in ("llm-endpoint", "openai", "ollama"):
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
        ans.obligations = obligations_for(ans, self.register)
        return self.signer.sign(ans.to_dict())

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
            """Worker: the whole LLM answer, its tokens pushed onto `tokens`, then None."""
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
        """Write the evidence pack for an answer this service issued; paths of the Markdown and JSON files."""
        ans = self.signer.verify(load_answer(answer_json))
        pack = evidence_pack(ans, self.sha_by_doc(), self.settings)
        md, js = write_pack(pack, self.files.new_dir("evidence"))
        return str(md), str(js)

    def feedback(self, answer_json: str, verdict: str, comment: str = "") -> dict:
        """Record a thumbs up/down for an answer this service issued in data_dir/feedback.jsonl."""
        ans = load_answer(answer_json)
        check_verdict(verdict)  # first: a bad verdict is the plainest mistake, whoever made the answer
        return append_feedback(self.feedback_path, self.settings, self.signer.verify(ans), verdict, comment)
