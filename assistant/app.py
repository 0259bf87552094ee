"""The chat UI: a Gradio Blocks app mounted in FastAPI, with a /pdf route for the cited pages.

One `ChatService` (assistant/app_service.py) serves every browser session and API client;
Gradio's queue bounds how many questions run at once, which matters on a 2-core machine.
"""
from __future__ import annotations

import json
import logging

import gradio as gr
from fastapi import FastAPI, Request

from assistant import app_render as render
from assistant import app_tools
from assistant.app_files import add_pdf_route
from assistant.app_service import ChatService
from ingest.errors import CarbonQAError
from ingest.settings import Settings
from ingest.status import corpus_rows

__all__ = ["ChatService", "build_blocks", "create_app"]

log = logging.getLogger(__name__)
CONCURRENCY = 2  # one question per core; more would only make every answer slower
# Outputs of the chat event, in order; `emit` in build_blocks fills them by name.
CHAT_OUTPUTS = ("chat", "transcript", "panel", "asked", "answer", "question", "actions", "files", "status")
EXAMPLES = [  # each answered well by the bundled corpus, so a first question shows what the tool does
    "What is a DOE in the CDM, and who designates it?",
    "How far back can a GSVER project claim retroactive credits?",
    "What CO2 emission factor does TOOL07 assign to biofuels?",
    "When does ICRA expect trading under India's CCTS to begin?",
]


def _history(value) -> list[str]:
    """Earlier user questions from a JSON list of strings or of {'role','content'} messages."""
    if not value:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise CarbonQAError("history_json must be a JSON list of earlier questions")
    return [str(m.get("content", "")) if isinstance(m, dict) else str(m)
            for m in items if not isinstance(m, dict) or m.get("role", "user") == "user"]


def build_blocks(service: ChatService) -> gr.Blocks:
    """The Blocks UI (chat, sources, filters, export, feedback, corpus tab) and its named API endpoints."""
    choices = service.choices()
    llm_ok = service.local_llm_available()

    def sources(ans, upto=None) -> str:
        """The sources panel for an answer (None: the empty state)."""
        return render.sources_html(ans, service.servable(), service.titles(), upto)

    def respond(question, transcript, asked, cats, juris, docs, choice):
        """Stream one answer into the chat and its cards into the sources panel (UI only)."""
        def emit(chat=None, **kw):
            """One update of the CHAT_OUTPUTS; anything not named stays as it is."""
            if chat is not None:
                kw.update(chat=chat, transcript=chat)
            return tuple(kw.get(n, gr.skip()) for n in CHAT_OUTPUTS)

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
            for text, ans, shown in service.stream(q, asked, cats, juris, docs, choice):
                transcript[-1] = {"role": "assistant", "content": render.answer_message(ans, partial=text)}
                yield emit(transcript, panel=sources(ans, shown) if ans else render.status_html("Writing the answer…"))
            transcript[-1] = {"role": "assistant", "content": render.answer_message(ans)}
            yield emit(transcript, panel=sources(ans), asked=asked + [q], answer=json.dumps(ans, ensure_ascii=False),
                       actions=gr.Group(visible=True))
            return
        except CarbonQAError as exc:
            message = str(exc)
        except Exception as exc:  # an LLM backend failing must not kill the session
            log.exception("answer failed")
            message = f"{type(exc).__name__}: {exc}"
        transcript[-1] = {"role": "assistant", "content": render.error_message(message)}
        yield emit(transcript, panel=render.status_html("No sources: the question was not answered."))

    def ask_api(question: str, history_json: str = "[]", categories: list[str] | None = None,
                jurisdictions: list[str] | None = None, documents: list[str] | None = None,
                answerer: str = "extractive") -> dict:
        """Answer a question; history_json lists earlier questions; returns Answer.to_dict()."""
        try:
            return service.ask(question, _history(history_json), categories, jurisdictions, documents, answerer)
        except (CarbonQAError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    def export(answer_json: str):
        """Evidence pack (Markdown, JSON) for an answer JSON."""
        try:
            return service.export(answer_json)
        except CarbonQAError as exc:
            raise gr.Error(str(exc)) from None

    def feedback_api(answer_json: str, verdict: str, comment: str = "") -> dict:
        """Record thumbs 'up' or 'down' (with an optional comment) for an answer JSON."""
        try:
            return service.feedback(answer_json, verdict, comment)
        except (CarbonQAError, ValueError) as exc:
            raise gr.Error(str(exc)) from None

    def give(verdict: str):
        """The click handler of the Helpful / Not helpful buttons."""
        def handler(answer_json, comment):
            """Record the verdict; a thank-you note, and the comment box cleared."""
            row = feedback_api(answer_json, verdict, comment)
            word = "helpful" if verdict == "up" else "not helpful"
            return f"Thanks: recorded as {word} for “{render.md_text(row['question'][:80])}”.", ""
        return handler

    def reload_corpus():
        """Pick up a re-ingest: reload the registry and BM25, refresh the corpus table and filter choices."""
        service.assistant.search.refresh()
        new = service.choices()
        return (render.corpus_html(corpus_rows(service.settings)), gr.Dropdown(choices=new["categories"]),
                gr.Dropdown(choices=new["jurisdictions"]), gr.Dropdown(choices=new["documents"]))

    # delete_cache: Gradio copies every downloaded file into its own cache; drop copies after an hour.
    with gr.Blocks(title="Carbon Policy Assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("## Carbon Policy Assistant\nAsk about the carbon-market rulebooks in the corpus. Every answer "
                    "sentence is quoted word for word from a document and numbered **[n]**; the matching card on "
                    "the right shows the document, page and the quote in context. When the documents do not "
                    "say, the assistant says so instead of guessing.")
        gr.Markdown(render.corpus_summary(service.documents()))
        transcript, asked = gr.State([]), gr.State([])
        answer_json = gr.Textbox(visible=False)
        with gr.Tab("Chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="Conversation", height=480, feedback_options=None, elem_id="chat",
                                         buttons=["copy_all"],
                                         placeholder="Ask a question below, or pick an example. Follow-ups "
                                                     "(\"and for A/R projects?\") use the earlier questions.")
                    with gr.Row():
                        question = gr.Textbox(show_label=False, scale=5, max_lines=4, elem_id="question",
                                              placeholder="e.g. Which body authorizes Article 6 projects in Vanuatu?")
                        ask_btn = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    gr.Examples(EXAMPLES, inputs=question, label="Examples")
                    with gr.Accordion("Filters and answerer (apply to the next question)", open=False):
                        hint = "Empty: no restriction."
                        cats = gr.Dropdown(choices["categories"], multiselect=True, label="Category", info=hint)
                        juris = gr.Dropdown(choices["jurisdictions"], multiselect=True, label="Jurisdiction", info=hint)
                        docs = gr.Dropdown(choices["documents"], multiselect=True, label="Documents", info=hint)
                        choice = gr.Radio(service.answerer_choices(), value="extractive", label="Answerer",
                                          elem_classes=[] if llm_ok else ["cq-llm-off"])
                        if not llm_ok:
                            gr.Markdown(f"<small>The local LLM is off: its model file <code>"
                                        f"{render.esc(service.settings.model_path)}</code> is missing. Run "
                                        "<code>make llm</code> to download it, then restart.</small>")
                    with gr.Group(visible=False) as actions:  # hidden until there is an answer to act on
                        with gr.Row():
                            up = gr.Button("✓ Helpful", size="sm")
                            down = gr.Button("✗ Not helpful", size="sm")
                            export_btn = gr.Button("Export evidence pack", size="sm")
                            clear = gr.Button("New conversation", size="sm")
                        comment = gr.Textbox(label="Comment on the last answer (optional, sent with Helpful / "
                                             "Not helpful)", lines=1)
                    status = gr.Markdown()
                    with gr.Row(visible=False) as files_row:
                        md_file = gr.File(label="evidence.md")
                        json_file = gr.File(label="evidence.json")
                with gr.Column(scale=2, elem_id="sources"):
                    panel = gr.HTML(sources(None), elem_id="sources-panel")
        with gr.Tab("Corpus"):
            corpus = gr.HTML(render.corpus_html(corpus_rows(service.settings)))
            reload_btn = gr.Button("Reload the index and this list", size="sm")
        app_tools.add_tabs(service)

        outputs = {"chat": chatbot, "transcript": transcript, "panel": panel, "asked": asked, "answer": answer_json,
                   "question": question, "actions": actions, "files": files_row, "status": status}
        gr.on([question.submit, ask_btn.click], respond, [question, transcript, asked, cats, juris, docs, choice],
              [outputs[n] for n in CHAT_OUTPUTS],
              api_visibility="private", concurrency_id="answer")
        export_btn.click(export, answer_json, [md_file, json_file], api_name="export").success(
            lambda: gr.Row(visible=True), None, files_row, api_visibility="private")
        up.click(give("up"), [answer_json, comment], [status, comment], api_visibility="private")
        down.click(give("down"), [answer_json, comment], [status, comment], api_visibility="private")
        # The chatbot's own trash icon must forget the conversation too, or follow-ups would use stale history.
        gr.on([clear.click, chatbot.clear],
              lambda: ([], [], [], sources(None), "", "", gr.Row(visible=False), gr.Group(visible=False)), None,
              [chatbot, transcript, asked, panel, answer_json, status, files_row, actions], api_visibility="private")
        reload_btn.click(reload_corpus, None, [corpus, cats, juris, docs], api_visibility="private")
        gr.api(ask_api, api_name="ask", concurrency_id="answer")
        gr.api(feedback_api, api_name="feedback")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=256)
    return demo


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

    add_pdf_route(app, service, (lambda request: _gradio_user(app, request) is not None) if auth else None)
    demo = build_blocks(service)
    theme = gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    gr.mount_gradio_app(app, demo, path="/", auth=auth or None, ssr_mode=False, theme=theme, css=render.CSS,
                        footer_links=["api"], auth_message="Carbon Policy Assistant: log in to ask questions.")
    return app, service
