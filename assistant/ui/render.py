"""HTML for the chat UI: answer messages, source cards, the abstention state and the corpus tables.

Every piece of document text, question or metadata is passed through `esc` before it is put
into markup: a PDF that contains `<script>` must show those characters, never run them.
"""
from __future__ import annotations

import html
import re
from urllib.parse import quote as urlquote

from ingest.clean import normalise_ws

# Markdown punctuation that would restyle a quote in the chat bubble (the chatbot renders Markdown).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()!|~{}$])")
_LIST_START = re.compile(r"^(\s*)(?:([#>+-])|(\d+)([.)]))")


def esc(text: object) -> str:
    """HTML-escape any value (quotes included), so it renders as text."""
    return html.escape("" if text is None else str(text), quote=True)


def md_text(text: str) -> str:
    """Plain text made safe for the Markdown chat bubble: HTML-escaped, Markdown punctuation escaped."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text))
    # A leading "-", "#" or "12." would start a list or heading; a backslash keeps it literal
    # (before the dot for numbers: a backslash before a digit is not an escape and would show).
    out = _LIST_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)),
                          out)
    return esc(out).replace("\\&gt;", "&gt;")


def pdf_href(doc_id: str, page: int) -> str:
    """Link to one physical page of a document served by the app's /pdf route."""
    return f"/pdf/{urlquote(doc_id, safe='')}#page={int(page)}"


def page_text(page: int, label: str) -> str:
    """'page 12' or 'page 12 (printed 10)' when the printed label differs from the physical page."""
    out = f"page {page}"
    if label and label != str(page):
        out += f" (printed {label})"
    return out


def highlight(passage_text: str, quote: str) -> str:
    """The passage with the verbatim quote wrapped in <mark>; the pieces around it are escaped separately."""
    text = normalise_ws(passage_text or "")
    q = normalise_ws(quote or "")
    i = text.find(q) if q else -1
    if i < 0:
        # The quote is always from the passage, but show it marked even if the text was re-cleaned.
        return f"<mark>{esc(q)}</mark>" + (f" <span class='cq-ctx'>… {esc(text[:400])}</span>" if text else "")
    start = max(0, i - 320)
    end = min(len(text), i + len(q) + 320)
    before = ("… " if start else "") + text[start:i]
    after = text[i + len(q):end] + (" …" if end < len(text) else "")
    return f"{esc(before)}<mark>{esc(q)}</mark>{esc(after)}"


def filters_text(filters: dict) -> str:
    """One line naming the filters that were applied, e.g. 'category: ccts · documents: a, b'."""
    names = {"categories": "category", "jurisdictions": "jurisdiction", "doc_ids": "documents", "issuers": "issuer"}
    parts = [f"{names.get(k, k)}: {', '.join(map(str, v))}" for k, v in (filters or {}).items() if v]
    return " · ".join(parts)


def answer_message(ans: dict, partial: str | None = None) -> str:
    """The assistant's chat bubble: the answer (or the part streamed so far) and a footer line."""
    if partial is not None:
        return md_text(partial) + " ▌"
    body = md_text(ans["answer"])
    if ans["abstained"]:
        # The full answer text lists every searched title; in the bubble that buries the point.
        n, near = len(ans.get("searched_documents", [])), len(ans.get("citations", []))
        missing = _missing_part(ans["answer"])
        what = md_text(missing) if missing else f"No passage in the {n} searched document(s) states this."
        body = (f"**Not in the corpus.** {what} So there is no answer. "
                + (f"The {near} nearest passages and " if near else "The ")
                + "the list of documents searched are in the Sources panel.")
    meta = [ans["answerer"], f"{ans['timings'].get('total_ms', 0):.0f} ms"]
    if ans.get("confidence") is not None:
        meta.insert(0, f"confidence {float(ans['confidence']):.2f}")
    if ans.get("filters"):
        meta.insert(0, "filters: " + filters_text(ans["filters"]))
    if ans.get("standalone_question") and ans["standalone_question"] != ans["question"]:
        meta.append("searched as: " + ans["standalone_question"])
    footer = f"\n\n<small>{md_text(' · '.join(meta))}</small>"
    removed = "".join(f"\n\n<small>removed (not supported by the cited passages): {md_text(u)}</small>"
                      for u in ans.get("unsupported", []))
    warn = "".join(f"\n\n<small>⚠ {md_text(w)}</small>" for w in ans.get("warnings", []))
    return body + removed + warn + footer


def _missing_part(answer: str) -> str:
    """The abstention's sentence(s) saying what was looked for and not found, without the search list."""
    head, _, _ = answer.partition(" Searched ")
    sentences = head.split(". ", 1)
    return sentences[1].strip() if len(sentences) == 2 else ""


def error_message(text: str) -> str:
    """A chat bubble for a user-facing error (empty question, bad filter, LLM unreachable)."""
    return f"⚠ **Could not answer:** {md_text(text)}"


def source_card(c: dict, passage: dict | None, servable: bool) -> str:
    """One citation card: title, version, page, section, highlighted quote, score, and a link to the page."""
    version = f" <span class='cq-ver'>v{esc(c['version'])}</span>" if c.get("version") else ""
    section = f"<div class='cq-sec'>§ {esc(c['section'])}</div>" if c.get("section") else ""
    body = highlight(passage["text"], c["quote"]) if passage else f"<mark>{esc(c['quote'])}</mark>"
    where = esc(page_text(c["page"], c.get("page_label", "")))
    if servable:
        link = (f"<a class='cq-open' href='{esc(pdf_href(c['doc_id'], c['page']))}' target='_blank' "
                f"rel='noopener'>Open {where} ↗</a>")
    else:
        link = f"<span class='cq-open cq-muted'>{where} (file not served)</span>"
    return (
        f"<div class='cq-card' data-n='{int(c['n'])}'>"
        f"<div class='cq-head'><span class='cq-n'>[{int(c['n'])}]</span> "
        f"<span class='cq-title'>{esc(c['title'] or c['doc_id'])}</span>{version}</div>"
        f"<div class='cq-meta'><span class='cq-page'>{where}</span> · <span class='cq-doc'>{esc(c['doc_id'])}</span>"
        f" · <span title='Probability that this sentence states what the question asks (answerability model)'>"
        f"P(answer) {float(c.get('score', 0)):.2f}</span></div>{section}"
        f"<blockquote class='cq-quote'>{body}</blockquote>{link}</div>"
    )


def obligations_html(rows: list[dict], servable: set[str]) -> str:
    """Register rows that match a question about a duty or permission: who, what force, by when, where."""
    if not rows:
        return ""
    items = []
    for o in rows:
        where = esc(page_text(o["page"], o.get("page_label", "")))
        if o["doc_id"] in servable:
            where = f"<a href='{esc(pdf_href(o['doc_id'], o['page']))}' target='_blank' rel='noopener'>{where} ↗</a>"
        parts = [f"<b>{esc(o['modality'])}</b> · {esc(o['actor'])}"]
        parts += [f"by when: {esc(o['deadline'])}"] if o.get("deadline") else []
        parts += [f"condition: {esc(o['condition'])}"] if o.get("condition") else []
        items.append(f"<li class='cq-rule'><div>{' · '.join(parts)}</div>"
                     f"<blockquote>{esc((o.get('lead_in', '') + ' ' + o['quote']).strip())}</blockquote>"
                     f"<div class='cq-meta'>{esc(o['title'] or o['doc_id'])} · {where}"
                     + (f" · § {esc(o['section'])}" if o.get("section") else "") + "</div></li>")
    return (f"<div class='cq-rules'><h4>In the obligations register ({len(rows)})</h4>"
            f"<ul>{''.join(items)}</ul></div>")


def sources_html(ans: dict | None, servable: set[str], titles: dict[str, str], upto: int | None = None) -> str:
    """The sources panel: cards for the citations, or the 'not in the corpus' state with what was searched."""
    if not ans:
        return ("<div class='cq-empty'>Sources appear here: each answer sentence is a verbatim quote, "
                "and its card shows the document, page and the quote in context.</div>")
    by_id = {p["id"]: p for p in ans.get("passages", [])}
    cits = ans.get("citations", [])[: upto if upto is not None else None]
    cards = "".join(source_card(c, by_id.get(c.get("passage_id")), c["doc_id"] in servable) for c in cits)
    flt = filters_text(ans.get("filters", {}))
    flt_html = f"<div class='cq-filters'>Filters applied: {esc(flt)}</div>" if flt else ""
    rules = obligations_html(ans.get("obligations", []), servable)
    if not ans["abstained"]:
        return (f"<div class='cq-sources'>{flt_html}<h4>Sources ({len(ans.get('citations', []))})</h4>{cards}"
                f"{rules}</div>")
    searched = ans.get("searched_documents", [])
    items = "".join(f"<li>{esc(titles.get(d, d))} <span class='cq-doc'>({esc(d)})</span></li>" for d in searched)
    return (
        "<div class='cq-sources cq-abstain'>"
        "<div class='cq-banner'><b>Not in the corpus.</b> No passage in the searched documents states this, "
        "so no answer is given. The nearest passages are shown below so you can check; official documents "
        "that are listed but not bundled are in the Corpus tab.</div>"
        f"{flt_html}<h4>Nearest passages</h4>{cards or '<p>No passage came close.</p>'}{rules}"
        f"<details><summary>Documents searched ({len(searched)})</summary><ul>{items}</ul></details></div>"
    )


def corpus_summary(docs: dict[str, dict]) -> str:
    """One line under the title: how much is searchable, and where the list is."""
    pages = sum(int(r.get("pages") or 0) for r in docs.values())
    return (f"<small>Corpus: {len(docs)} documents indexed ({pages:,} pages); the Corpus tab lists them and "
            "the official documents not bundled.</small>")


def _safe_url(url: str) -> str:
    """Only http(s) links become anchors; anything else (javascript:, data:) is shown as text."""
    return url if re.match(r"^https?://", url or "", re.I) else ""


def corpus_html(rows: list[dict]) -> str:
    """The corpus tab: searchable documents, then the official documents that are not bundled."""
    fetchable = [r for r in rows if r["availability"] == "missing" and not r.get("file")]
    have = [r for r in rows if r not in fetchable]
    head = "".join(f"<th>{h}</th>" for h in ("document", "category", "version", "pages", "chunks", "status"))
    body = ""
    for r in have:
        status = r["status"] + (" (changed since indexed: run carbonqa ingest)" if r.get("stale") else "")
        if r.get("error"):
            status += f" — {r['error']}"
        body += (f"<tr><td><b>{esc(r['title'])}</b><br><span class='cq-doc'>{esc(r['id'])}</span></td>"
                 f"<td>{esc(r['category'])}</td><td>{esc(r['version'])}</td><td>{r['pages'] or ''}</td>"
                 f"<td>{r['chunks'] or ''}</td><td class='cq-st-{esc(r['status'])}'>{esc(status)}</td></tr>")
    out = f"<table class='cq-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if fetchable:
        items = ""
        for r in fetchable:
            url = _safe_url(r.get("source_url", ""))
            link = f"<a href='{esc(url)}' target='_blank' rel='noopener noreferrer'>{esc(url)}</a>" if url else "no source URL"
            items += f"<li><b>{esc(r['title'])}</b> <span class='cq-doc'>({esc(r['id'])}, {esc(r['category'])})</span><br>{link}</li>"
        out += ("<h4>Official documents not bundled</h4><p>These are listed in the manifest but not shipped; "
                "on a machine with network access, <code>carbonqa corpus fetch</code> downloads them and "
                f"<code>carbonqa ingest</code> indexes them.</p><ul class='cq-fetch'>{items}</ul>")
    return out


CSS = """
.cq-card{border:1px solid var(--border-color-primary);border-radius:8px;padding:10px 12px;margin:0 0 10px 0;background:var(--background-fill-secondary)}
.cq-head{font-weight:600}.cq-n{color:var(--color-accent);margin-right:4px}.cq-ver{font-weight:400;opacity:.75}
.cq-meta,.cq-sec,.cq-filters{font-size:.85em;opacity:.85;margin-top:2px}
.cq-quote{margin:8px 0;padding-left:10px;border-left:3px solid var(--color-accent);font-size:.9em;white-space:normal}
.cq-quote mark{background:#ffe58a;color:#000;padding:0 1px}
.cq-open{font-size:.9em}.cq-muted{opacity:.6}.cq-doc{font-family:monospace;font-size:.8em;opacity:.7}
.cq-banner{background:#fff4e5;color:#663c00;border:1px solid #f0b35a;border-radius:8px;padding:10px;margin-bottom:10px}
.cq-empty{opacity:.7;padding:8px}.cq-table{width:100%;font-size:.9em}.cq-table td{vertical-align:top}
.cq-st-failed{color:#b00020}.cq-st-ingested{color:#1b7f3b}
.cq-llm-off label:nth-of-type(2){opacity:.45;pointer-events:none}
"""


def status_html(text: str) -> str:
    """A one-line progress note for the sources panel while an answer is being produced."""
    return f"<div class='cq-empty'>{esc(text)}</div>"
