"""The chat UI's event and API handlers, apart from the Blocks layout that wires them (assistant/ui/app.py)."""
from __future__ import annotations

import json
import logging

import gradio as gr

from assistant.ui import render
from assistant.ui.service import ChatService
from ingest.errors import CarbonQAError
from ingest.status import corpus_rows

log = logging.getLogger(__name__)
# Outputs of the chat event, in order; `emit` fills them by name.
CHAT_OUTPUTS = ("chat", "transcript", "panel", "asked", "answer", "question", "actions", "files", "status")


def history_list(value) -> list[str]:
    """Earlier user questions from a JSON list of strings or of {'role','content'} messages."""
    if not value:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise CarbonQAError("history_json must be a JSON list of earlier questions")
    return [str(m.get("content", "")) if isinstance(m, dict) else str(m)
            for m in items if not isinstance(m, dict) or m.get("role", "user") == "user"]


def emit(chat=None, **kw) -> tuple:
    """One update of the CHAT_OUTPUTS; anything not named stays as it is."""
    if chat is not None:
        kw.update(chat=chat, transcript=chat)
    return tuple(kw.get(n, gr.skip()) for n in CHAT_OUTPUTS)


class ChatHandlers:
    """What the chat's buttons and named API endpoints do, over one ChatService."""

    def __init__(self, service: ChatService):
        self.service = service

    def sources(self, ans, upto=None) -> str:
        """The sources panel for an answer (None: the empty state)."""
        return render.sources_html(ans, self.service.servable(), self.service.titles(), upto)

    def respond(self, question, transcript, asked, cats, juris, docs, choice):
        """Stream one answer into the chat and its cards into the sources panel (UI only)."""
        q = " ".join((question or "").split())
        if not q:
            gr.Warning("Type a question first.")
            yield emit()
            return
        transcript = list(transcript or []) + [
            {"role": "user", "content": render.md_text(q)}, {"role": "assistant", "content": "Searching the corpus…"}]
        # A new question makes the previous answer's evidence files and feedback note stale.
        yield emit(transcript, panel=render.status_html("Searching the corpus…"), question="", status="",
                   files=gr.Row(visible=False))
        try:
            ans = None
            for text, ans, shown in self.service.stream(q, asked, cats, juris, docs, choice):
                transcript[-1] = {"role": "assistant", "content": render.answer_message(ans, partial=text)}
                yield emit(transcript, panel=self.sources(ans, shown) if ans else render.status_html("Writing the answer…"))
            transcript[-1] = {"role": "assistant", "content": render.answer_message(ans)}
            yield emit(transcript, panel=self.sources(ans), asked=asked + [q],
                       answer=json.dumps(ans, ensure_ascii=False), actions=gr.Group(visible=True))
            return
        except CarbonQAError as exc:
            message = str(exc)
        except Exception as exc:  # an LLM backend failing must not kill the session
            log.exception("answer failed")
            message = f"{type(exc).__name__}: {exc}"
        transcript[-1] = {"role": "assistant", "content": render.error_message(message)}
        yield emit(transcript, panel=render.status_html("No sources: the question was not answered."))

    def ask_api(self, question: str, history_json: str = "[]", categories: list[str] | None = None,
                jurisdictions: list[str] | None = None, documents: list[str] | None = None,
                answerer: str = "extractive") -> dict:
        """Answer a question; history_json lists earlier questions; returns Answer.to_dict() and its signature."""
        try:
            return self.service.ask(question, history_list(history_json), categories, jurisdictions, documents,
                                    answerer)
        except (CarbonQAError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    def export(self, answer_json: str):
        """Evidence pack (Markdown, JSON) for an answer JSON that /ask returned."""
        try:
            return self.service.export(answer_json)
        except CarbonQAError as exc:
            raise gr.Error(str(exc)) from None

    def feedback_api(self, answer_json: str, verdict: str, comment: str = "") -> dict:
        """Record thumbs 'up' or 'down' (with an optional comment) for an answer JSON that /ask returned."""
        try:
            return self.service.feedback(answer_json, verdict, comment)
        except (CarbonQAError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    def give(self, verdict: str):
        """The click handler of the Helpful / Not helpful buttons."""
        def handler(answer_json, comment):
            """Record the verdict; a thank-you note, and the comment box cleared."""
            row = self.feedback_api(answer_json, verdict, comment)
            word = "helpful" if verdict == "up" else "not helpful"
            return f"Thanks: recorded as {word} for “{render.md_text(row['question'][:80])}”.", ""
        return handler

    def reload_corpus(self):
        """Pick up a re-ingest: reload the registry and BM25, refresh the corpus table and filter choices."""
        self.service.assistant.search.refresh()
        new = self.service.choices()
        return (render.corpus_html(corpus_rows(self.service.settings)), gr.Dropdown(choices=new["categories"]),
                gr.Dropdown(choices=new["jurisdictions"]), gr.Dropdown(choices=new["documents"]))
