"""Compliance tabs of the chat: definitions across instruments, provision comparison, version diff, obligations."""
from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from assistant.ui.files import AppFiles

from assistant.compliance.compare import compare, to_csv, to_markdown
from assistant.answering.definitions import define
from assistant.compliance.diff import diff_documents
from ingest.errors import CarbonQAError


def _e(text) -> str:
    """Escape document text for HTML: PDFs can contain markup."""
    return html.escape(str(text))


def definitions_html(res: dict) -> str:
    """Every instrument's definition of a term, side by side, with the DIFFERS flag."""
    head = _e(res["term"]) + (f" → {_e(res['expands_to'])}" if res.get("expands_to") else "")
    if not res["definitions"]:
        near = ", ".join(_e(t) for t in res.get("nearest", []))
        return (f"<h3>{head}</h3><p>No definition found in the corpus."
                + (f" Nearest known terms: {near}.</p>" if near else "</p>"))
    flag = ("<p class='differs'><b>DIFFERS</b>: these instruments define the term differently.</p>"
            if res.get("differs") else "")
    cards = "".join(
        f"<div class='card'><b>{_e(d['title'] or d['doc_id'])}</b><br>"
        f"<small>page {d['page']} · §{_e(d['section'])} · term “{_e(d['term'])}”</small>"
        f"<blockquote>{_e(d['definition'])}</blockquote></div>"
        for d in res["definitions"]
    )
    return f"<h3>{head}</h3>{flag}{cards}"


def comparison_html(cmp) -> str:
    """Aspects down, documents across; every cell a quote with page and section, or the gap text."""
    cols = "".join(f"<th>{_e(d)}</th>" for d in cmp.doc_ids)
    rows = "".join(
        f"<tr><td><b>{_e(a)}</b></td>" + "".join(f"<td>{_e(c.render())}</td>" for c in row) + "</tr>"
        for a, row in zip(cmp.aspects, cmp.cells)
    )
    return f"<table class='compare'><tr><th>aspect</th>{cols}</tr>{rows}</table>"


def diff_html(changes, old_id: str, new_id: str) -> str:
    """Changed, added and removed provisions by section, with quotes."""
    if not changes:
        return f"<p>No differences found between {_e(old_id)} and {_e(new_id)}.</p>"
    items = "".join(
        f"<li><b>{_e(c.kind)}</b> §{_e(c.section)} (p. {c.old_page or '-'} → {c.new_page or '-'})"
        + (f"<br><del>{_e(c.old)}</del>" if c.old else "") + (f"<br><ins>{_e(c.new)}</ins>" if c.new else "")
        + "</li>"
        for c in changes
    )
    return f"<p>{_e(old_id)} → {_e(new_id)}: {len(changes)} change(s)</p><ul>{items}</ul>"


def write_comparison(cmp, files: AppFiles) -> tuple[str, str]:
    """comparison.md and comparison.csv in a fresh folder of the app's bounded temp dir; their paths."""
    out: Path = files.new_dir("compare")
    (out / "comparison.md").write_text(to_markdown(cmp), encoding="utf-8")
    (out / "comparison.csv").write_text(to_csv(cmp), encoding="utf-8")
    return str(out / "comparison.md"), str(out / "comparison.csv")


def add_tabs(service) -> None:
    """Add the Definitions, Compare and Versions tabs inside the current gr.Blocks."""
    assistant = service.assistant
    doc_choices = sorted(service.documents())

    def on_define(term: str, docs: list[str]):
        """Definitions of a term across the selected instruments."""
        try:
            if not term or not term.strip():
                return "<p>Type a term, e.g. validation or VVB.</p>"
            return definitions_html(define(assistant.definitions(), term.strip(), docs or None))
        except CarbonQAError as exc:
            return f"<p class='error'>{_e(exc)}</p>"

    def on_compare(topic: str, docs: list[str]):
        """Aligned comparison table plus Markdown/CSV downloads."""
        try:
            if not topic or not topic.strip() or len(docs or []) < 2:
                return "<p>Type a topic and pick at least two documents.</p>", None, None
            cmp = compare(assistant, topic.strip(), docs)
            return (comparison_html(cmp), *write_comparison(cmp, service.files))
        except CarbonQAError as exc:
            return f"<p class='error'>{_e(exc)}</p>", None, None

    def on_diff(old: str, new: str):
        """Provision-level changes between two versions."""
        try:
            if not old or not new:
                return "<p>Pick the older and the newer document.</p>"
            return diff_html(diff_documents(assistant.search.store, old, new), old, new)
        except CarbonQAError as exc:
            return f"<p class='error'>{_e(exc)}</p>"

    with gr.Tab("Definitions"):
        with gr.Row():
            term = gr.Textbox(label="Term or acronym", placeholder="validation, VVB, crediting period")
            ddocs = gr.Dropdown(doc_choices, multiselect=True, label="Only these documents (empty: all)")
        dbtn = gr.Button("Define")
        dout = gr.HTML()
        gr.on([term.submit, dbtn.click], on_define, [term, ddocs], dout, api_name="define")
    with gr.Tab("Compare"):
        with gr.Row():
            topic = gr.Textbox(label="Topic", placeholder="host-country authorisation and corresponding adjustments")
            cdocs = gr.Dropdown(doc_choices, multiselect=True, label="Documents (two or more)")
        cbtn = gr.Button("Compare")
        cout = gr.HTML()
        with gr.Row():
            cmd, ccsv = gr.File(label="comparison.md"), gr.File(label="comparison.csv")
        gr.on([topic.submit, cbtn.click], on_compare, [topic, cdocs], [cout, cmd, ccsv],
              api_name="compare", concurrency_id="answer")
    with gr.Tab("Versions"):
        with gr.Row():
            old = gr.Dropdown(doc_choices, label="Older document")
            new = gr.Dropdown(doc_choices, label="Newer document")
        vbtn = gr.Button("Show changes")
        vout = gr.HTML()
        vbtn.click(on_diff, [old, new], vout, api_name="diff")
    from assistant.ui.obligations import add_obligations_tab

    add_obligations_tab(service)
