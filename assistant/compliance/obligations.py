"""The obligations register: every normative sentence of the index, cited and verified, cached per index version."""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field

from assistant.normative.actors import family_of
from assistant.compliance.crossref import Resolver, section_index
from assistant.normative.sentence import Normative, parse_sentence
from assistant.retrieval.views import doc_views
from assistant.models import Citation, Passage
from assistant.answering.quotes import Sentence, sentences
from ingest.clean import normalise_ws

PARSER_VERSION = "4"  # bump when the rules change: cached registers are then rebuilt
EMPTY_NOTE = "no normative sentences (shall / must / may / should) found in this document"
GLOSSARY_NOTE = "a glossary or definitions document: its entries are definitions, not obligations"
_ITEM = re.compile(r"^(?:\(?[a-z0-9]{1,4}[).]|\(?[ivx]{1,5}\)|[•●▪■◦\-–])\s")
_GLOSSARY = re.compile(r"glossary|definitions", re.I)
MAX_ITEMS = 30


@dataclass
class Obligation:
    """One obligation: where it is, the verbatim sentence, and its parts."""

    id: str
    doc_id: str
    title: str
    version: str
    page: int
    page_label: str
    section: str
    quote: str
    modality: str
    modal: str
    actor: str
    actor_surface: str
    action: str
    deadline: str | None
    condition: str | None
    lead_in: str = ""
    crossrefs: list[dict] = field(default_factory=list)
    verified: bool = True
    passage_id: str = ""
    offset: int = 0

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)

    def text(self) -> str:
        """The obligation as read: lead-in then item, or the sentence."""
        return f"{self.lead_in} {self.quote}".strip()

    def citation(self, n: int = 1, score: float = 1.0) -> Citation:
        """A numbered citation of the item's sentence (the quote is verbatim on `page`)."""
        return Citation(n=n, doc_id=self.doc_id, title=self.title, page=self.page, page_label=self.page_label,
                        section=self.section, quote=self.quote, score=round(float(score), 4), version=self.version,
                        passage_id=self.passage_id)


@dataclass
class DocInfo:
    """A document of the register: its family, how many obligations, and a note when there are none."""

    doc_id: str
    title: str
    version: str
    family: str
    count: int = 0
    note: str = ""


def _passage(cid: str, text: str, meta: dict) -> Passage:
    """A Passage from a stored chunk, so the quote machinery of answers applies unchanged."""
    return Passage(id=cid, doc_id=meta["doc_id"], title=meta.get("title", ""), text=text,
                   page_start=int(meta["page_start"]), page_end=int(meta["page_end"]),
                   page_label=meta.get("page_label", ""), section=meta.get("section", ""), score=0.0,
                   version=meta.get("version", ""), category=meta.get("category", ""),
                   section_marks=meta.get("section_marks", "[]"), page_marks=meta.get("page_marks", "[]"))


def _doc_sentences(chunks: list[tuple[str, str, dict]]) -> list[tuple[int, Sentence]]:
    """A document's sentences in order with their document offsets, each once (chunks overlap)."""
    found: dict[int, Sentence] = {}
    for cid, text, meta in chunks:
        base = int(meta["char_start"])
        for s in sentences(_passage(cid, text, meta)):
            found.setdefault(base + s.offset, s)
    return sorted(found.items(), key=lambda x: x[0])


def _page_texts(view) -> dict[int, str]:
    """Whitespace-normalised text of every page of a document view (what quotes are verified against)."""
    bounds = view.page_offs + [len(view.text)]
    out: dict[int, str] = {}
    for a, b, page in zip(bounds, bounds[1:], view.pages):
        out[page] = (out.get(page, "") + " " + normalise_ws(view.text[a:b])).strip()
    return out


def _obligation(doc: DocInfo, off: int, s: Sentence, p: Normative, lead_in: str, resolver: Resolver,
                page_text: str) -> Obligation:
    """An Obligation from a parsed sentence; `verified` says the quote is verbatim on its page."""
    oid = hashlib.sha1(f"{doc.doc_id}:{off}:{s.text}".encode()).hexdigest()[:12]
    refs = [r.to_dict() for r in resolver.find(f"{lead_in} {s.text}" if lead_in else s.text, doc.doc_id)]
    return Obligation(
        id=oid, doc_id=doc.doc_id, title=doc.title, version=doc.version, page=s.page, page_label=s.page_label,
        section=s.section, quote=s.text, modality=p.modality, modal=p.modal, actor=p.actor,
        actor_surface=p.actor_surface, action=p.action, deadline=p.deadline, condition=p.condition,
        lead_in=lead_in, crossrefs=refs, verified=s.text in page_text, passage_id=s.passage.id, offset=off,
    )


def _list_items(sents: list[tuple[int, Sentence]], i: int) -> list[tuple[int, Sentence]]:
    """The list items that follow a lead-in at position i (same section, marked as items)."""
    lead = sents[i][1]
    items = []
    for off, s in sents[i + 1: i + 1 + MAX_ITEMS]:
        if s.section != lead.section or not _ITEM.match(s.text):
            break
        items.append((off, s))
    return items


def _item_parts(item: Sentence, lead: Normative, family: str) -> Normative:
    """An item's own modality when it has one, else the lead-in's, with the item's deadline and condition."""
    from assistant.normative.sentence import deadline, trailing_condition

    own = parse_sentence(item.text, family)
    if own is not None:
        return own
    return Normative(lead.modality, lead.modal, lead.actor, lead.actor_surface, item.text,
                     deadline(item.text) or lead.deadline, trailing_condition(item.text, 0) or lead.condition,
                     lead.references)


def extract_document(doc: DocInfo, chunks: list, view, resolver: Resolver, glossary: bool) -> list[Obligation]:
    """Every obligation of one document, list items one by one with their lead-in."""
    sents = _doc_sentences(chunks)
    pages = _page_texts(view)
    out: list[Obligation] = []
    i = 0
    while i < len(sents):
        off, s = sents[i]
        p = parse_sentence(s.text, doc.family, glossary)
        items = _list_items(sents, i) if p is not None and s.text.rstrip().endswith(":") else []
        for ioff, item in items:
            parts = _item_parts(item, p, doc.family)
            out.append(_obligation(doc, ioff, item, parts, s.text, resolver, pages.get(item.page, "")))
        if p is not None and not items:
            out.append(_obligation(doc, off, s, p, "", resolver, pages.get(s.page, "")))
        i += 1 + len(items)
    return out


def build_register_data(ids: list[str], texts: list[str], metas: list[dict],
                        registry: dict[str, dict]) -> tuple[list[Obligation], dict[str, DocInfo]]:
    """Obligations and per-document info from the index's active chunks (no PDF is read)."""
    views = doc_views(texts, metas)
    resolver = Resolver({d: section_index(v) for d, v in views.items()})
    by_doc: dict[str, list] = {}
    for cid, t, m in zip(ids, texts, metas):
        by_doc.setdefault(m["doc_id"], []).append((cid, t, m))
    obligations: list[Obligation] = []
    docs: dict[str, DocInfo] = {}
    for doc_id in sorted(by_doc):
        rec, view = registry.get(doc_id, {}), views[doc_id]
        info = DocInfo(doc_id, view.title, view.version,
                       family_of(doc_id, rec.get("issuer", ""), rec.get("category", "")))
        glossary = bool(_GLOSSARY.search(doc_id + " " + view.title))
        found = extract_document(info, by_doc[doc_id], view, resolver, glossary)
        info.count = len(found)
        info.note = "" if found else (GLOSSARY_NOTE if glossary else EMPTY_NOTE)
        docs[doc_id] = info
        obligations += found
    return obligations, docs


class ObligationRegister:
    """All obligations of one index version; built from the index once, then loaded from a JSON cache."""

    def __init__(self, obligations: list[Obligation], documents: dict[str, DocInfo], version: str = "",
                 build_seconds: float = 0.0):
        """Obligations in document order and the documents they come from."""
        self.obligations = obligations
        self.documents = documents
        self.version = version
        self.build_seconds = build_seconds
        self.lexicon: tuple[list[set[str]], dict[str, float]] | None = None  # (tokens per row, idf), on first query

    @staticmethod
    def cache_path(settings, version: str):
        """Where the register of an index version is cached."""
        return settings.data_dir / "obligations" / f"{version}-p{PARSER_VERSION}.json"

    @classmethod
    def build(cls, store, settings, use_cache: bool = True) -> "ObligationRegister":
        """Load the cached register of the store's current index version, or extract and cache it."""
        version = store.index_version()
        path = cls.cache_path(settings, version)
        if use_cache and path.exists():
            try:
                return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError):  # a damaged or older cache is rebuilt
                pass
        t = time.perf_counter()
        ids, texts, metas = store.all_chunks()
        obligations, docs = build_register_data(ids, texts, metas, store.registry())
        reg = cls(obligations, docs, version, round(time.perf_counter() - t, 3))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(reg.to_json(), ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
        except OSError:  # a read-only data dir still gets its register, just not cached
            pass
        return reg

    def to_json(self) -> dict:
        """The cache payload."""
        return {"version": self.version, "parser": PARSER_VERSION, "build_seconds": self.build_seconds,
                "documents": {d: asdict(i) for d, i in self.documents.items()},
                "obligations": [o.to_dict() for o in self.obligations]}

    @classmethod
    def from_json(cls, raw: dict) -> "ObligationRegister":
        """Back from the cache payload."""
        return cls([Obligation(**o) for o in raw["obligations"]],
                   {d: DocInfo(**i) for d, i in raw["documents"].items()}, raw["version"], raw.get("build_seconds", 0.0))

    def actors(self, doc_ids: list[str] | None = None) -> list[str]:
        """Actor names that occur in the register (for the given documents)."""
        return sorted({o.actor for o in self.obligations if not doc_ids or o.doc_id in doc_ids})
