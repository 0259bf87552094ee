"""The Obligations tab of the chat: the register with the CLI's filters, a sortable table linked to the PDFs."""
from __future__ import annotations

import datetime as dt
import html

import gradio as gr

from assistant.ui.render import pdf_href
from assistant.compliance.query import MODALITIES, ObligationQuery, in_force_ids, query
from ingest.errors import CarbonQAError

HEADERS = ["document", "page", "section", "modality", "actor", "deadline", "obligation"]


def _md(text: str) -> str:
    """Escape text for a Markdown cell (HTML and the characters Markdown would act on)."""
    return html.escape(str(text or "")).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[")


def rows(res, servable: set[str]) -> list[list[str]]:
    """Table rows; the page cell links to the PDF at that page when the app serves the document."""
    out = []
    for o in res.obligations:
        page = f"{o.page}" + (f" ({_md(o.page_label)})" if o.page_label and o.page_label != str(o.page) else "")
        if o.doc_id in servable:
            page = f"[{page}]({pdf_href(o.doc_id, o.page)})"
        text = (f"{o.lead_in} … " if o.lead_in else "") + o.quote
        out.append([_md(o.doc_id), page, _md(o.section.split(" > ")[-1]), o.modality, _md(o.actor),
                    _md(o.deadline or ""), _md(text)])
    return out


def run(service, docs, actor, modality, topic, as_of) -> tuple[list[list[str]], str]:
    """One query from the tab's filters: (rows, status line)."""
    try:
        reg = service.register()
        allowed = None
        if as_of and as_of.strip():
            try:
                day = dt.date.fromisoformat(as_of.strip())
            except ValueError:
                raise CarbonQAError(f"as-of date {as_of!r}: expected YYYY-MM-DD") from None
            allowed = in_force_ids(reg, list(service.manifest().values()), day)
        q = ObligationQuery(doc_ids=list(docs or []), actor=(actor or "").strip() or None,
                            modality=modality or None, topic=(topic or "").strip() or None, in_force=allowed)
        res = query(reg, q, service.assistant.search if q.topic else None)
    except CarbonQAError as exc:
        return [], f"<p class='error'>{html.escape(str(exc))}</p>"
    notes = "".join(f"<br><small>{html.escape(d)}: {html.escape(n)}</small>" for d, n in res.notes.items())
    return rows(res, service.servable()), f"<p id='oblig-status'>{len(res.obligations)} obligation(s){notes}</p>"


def add_obligations_tab(service) -> None:
    """Add the Obligations tab inside the current gr.Blocks."""
    doc_choices = sorted(service.documents())
    with gr.Tab("Obligations"):
        with gr.Row():
            odocs = gr.Dropdown(doc_choices, multiselect=True, label="Documents (empty: all)", elem_id="oblig-docs")
            actor = gr.Textbox(label="Actor", placeholder="project proponent, VVB, Verra …", elem_id="oblig-actor")
            modality = gr.Dropdown([""] + list(MODALITIES), value="", label="Modality", elem_id="oblig-modality")
        with gr.Row():
            topic = gr.Textbox(label="Topic (hybrid search over obligations)", placeholder="buffer credits",
                               elem_id="oblig-topic")
            as_of = gr.Textbox(label="In force on (YYYY-MM-DD)", elem_id="oblig-asof")
        btn = gr.Button("List obligations", elem_id="oblig-go")
        status = gr.HTML(elem_id="oblig-status-box")
        table = gr.Dataframe(headers=HEADERS, datatype=["str", "markdown", "str", "str", "str", "str", "str"],
                             interactive=False, wrap=True, elem_id="oblig-table", max_height=600)
        gr.on([btn.click, topic.submit, actor.submit], lambda *a: run(service, *a),
              [odocs, actor, modality, topic, as_of], [table, status], api_name="obligations")
