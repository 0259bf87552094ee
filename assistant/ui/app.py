"""The chat UI: a Gradio Blocks app mounted in FastAPI, with a /pdf route for the cited pages.

One `ChatService` (assistant/ui/service.py) serves every browser session and API client;
Gradio's queue bounds how many questions run at once, which matters on a 2-core machine.
"""
from __future__ import annotations

import gradio as gr
from fastapi import FastAPI, Request

from assistant.ui import render
from assistant.ui import tools as app_tools
from assistant.ui.files import add_pdf_route
from assistant.ui.handlers import CHAT_OUTPUTS, ChatHandlers
from assistant.ui.service import ChatService
from ingest.settings import Settings
from ingest.status import corpus_rows

__all__ = ["ChatService", "build_blocks", "create_app"]

CONCURRENCY = 2  # one question per core; more would only make every answer slower
EXAMPLES = [  # each answered well by the bundled corpus, so a first question shows what the tool does
    "What is a DOE in the CDM, and who designates it?",
    "How far back can a GSVER project claim retroactive credits?",
    "What CO2 emission factor does TOOL07 assign to biofuels?",
    "When does ICRA expect trading under India's CCTS to begin?",
]


def build_blocks(service: ChatService) -> gr.Blocks:
    """The Blocks UI (chat, sources, filters, export, feedback, corpus tab) and its named API endpoints."""
    choices = service.choices()
    llm_ok = service.local_llm_available()
    h = ChatHandlers(service)

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
                    panel = gr.HTML(h.sources(None), elem_id="sources-panel")
        with gr.Tab("Corpus"):
            corpus = gr.HTML(render.corpus_html(corpus_rows(service.settings)))
            reload_btn = gr.Button("Reload the index and this list", size="sm")
        app_tools.add_tabs(service)

        outputs = {"chat": chatbot, "transcript": transcript, "panel": panel, "asked": asked, "answer": answer_json,
                   "question": question, "actions": actions, "files": files_row, "status": status}
        gr.on([question.submit, ask_btn.click], h.respond, [question, transcript, asked, cats, juris, docs, choice],
              [outputs[n] for n in CHAT_OUTPUTS],
              api_visibility="private", concurrency_id="answer")
        export_btn.click(h.export, answer_json, [md_file, json_file], api_name="export").success(
            lambda: gr.Row(visible=True), None, files_row, api_visibility="private")
        up.click(h.give("up"), [answer_json, comment], [status, comment], api_visibility="private")
        down.click(h.give("down"), [answer_json, comment], [status, comment], api_visibility="private")
        # The chatbot's own trash icon must forget the conversation too, or follow-ups would use stale history.
        gr.on([clear.click, chatbot.clear],
              lambda: ([], [], [], h.sources(None), "", "", gr.Row(visible=False), gr.Group(visible=False)), None,
              [chatbot, transcript, asked, panel, answer_json, status, files_row, actions], api_visibility="private")
        reload_btn.click(h.reload_corpus, None, [corpus, cats, juris, docs], api_visibility="private")
        gr.api(h.ask_api, api_name="ask", concurrency_id="answer")
        gr.api(h.feedback_api, api_name="feedback")
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
