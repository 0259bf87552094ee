"""Glossary answers: a 'what is X' question meets the instruments' own definitions of X.

Definitions come from `assistant.answering.definitions` (built from the index, cached per index version);
an entry is offered as evidence only where its text stands verbatim on the page it cites.
"""
from __future__ import annotations

import hashlib
import json
import re

from assistant.answering.phrasing import plain
from assistant.answering.term_extract import norm_term
from assistant.models import Passage
from assistant.retrieval.fusion import FAMILIES
from ingest.clean import normalise_ws

_DEFINE = re.compile(
    r"^(?:what(?:'s| is| are)|define|definition of|meaning of|what does|what do|"
    r"explain(?: the (?:term|concept|meaning)(?: of)?)?)\s+(?:an?\s+|the\s+)?"
    r"(?:term\s+)?[\"“']?(?P<term>[^?\"”']{2,60}?)[\"”']?(?:\s+(?P<verb>mean|means|stand for|stands for|refer to|refers to))?\s*\??$",
    re.I,
)


# The term ends where a qualifier starts; "of" only as "of the/a …", so "levelised cost of electricity" stays whole.
_DEFINE_INLINE = re.compile(
    r"\b(?:define|defines|defined|definition of|meaning of|mean by|meant by|understand by|understood by|counts? as|"
    r"qualif(?:y|ies) as|who (?:is|are)(?: considered| regarded| treated| deemed)?(?: to be| as)?"
    # "Who is a stakeholder?", "Who is the RIT in the CDM?": an acronym after "the" names a defined body.
    r"(?=\s+(?:an?\s|the\s+(?-i:[A-Z][A-Z0-9]+s?)\b)))"
    r"\s+(?:an?\s+|the\s+)?"
    r"(?:term\s+)?[\"“']?(?P<term>[A-Za-z][\w/\- ]{1,60}?)[\"”']?"
    r"(?=\s+(?:compared|versus|vs\.?|and|in|under|according|differ|for|by|within|of (?:the|an?)|as|the same|"
    r"differently|similarly|alike)\b|[?.,;]|$)",
    re.I,
)


# "In the VCS, what is a project proponent?", "According to the CDM glossary, what is a bundle?"
_LEAD = re.compile(r"^(?:in|under|according to|as per|per|for|within)\s+[^,?]{2,60},\s*", re.I)
# The term stands before the verb: "How is leakage defined in the CDM glossary?", "Tell me what an ITMO
# is", "What exactly is a corresponding adjustment?".
_TERM_FIRST = re.compile(
    r"^(?:how (?:is|are) (?:an?\s+|the\s+)?(?:term\s+)?[\"“']?(?P<a>[^?\"”']{2,60}?)[\"”']?\s+(?:defined|understood)\b"
    r"|(?:(?:please\s+)?(?:tell me|explain)\s+)?what (?:exactly |precisely )?(?:an?\s+|the\s+)?[\"“']?"
    r"(?P<b>[^?\"”']{2,60}?)[\"”']?\s+(?:is|are)(?=\s*$)"
    r"|what (?:exactly|precisely) (?:is|are) (?:an?|the)\s+[\"“']?(?P<c>[^?\"”']{2,60}?)[\"”']?(?=\s*$))",
    re.I,
)
# The verbs that make "What does X …?" ask what X is; any other ("say about", "require", "call") asks a rule.
# "What does a VVB do?" asks for the role, which is what a glossary entry for a body states.
_MEANS_VERB = r"\s+(?:mean|means|stand for|stands for|refer to|refers to|cover|include|encompass|comprise|do)$"
_DOES = re.compile(r"^what (?:does|do)\b", re.I)
# "What is the full form of NDC?" asks what the acronym stands for: the glossary's entry for it.
_FULL_FORM = re.compile(r"^(?:the\s+)?(?:full|long|expanded) form of\s+", re.I)
# A qualifier that names an instrument or regime keeps a definition question one ("What is an ITMO under
# Article 6?"); any other ("… for ARR projects") asks a rule.
_REGIMES = ["glossary", "definitions", "article 6", "paris agreement", "kyoto protocol", "unfccc", "jcm",
            "joint crediting mechanism", "ccts", "carbon credit trading scheme", "indian carbon market",
            "green credit programme", "the program", "the standard", "the scheme", "the mechanism"]


def definition_term(question: str) -> str:
    """The term a 'what is X / define X' question asks about, or ''."""
    # the acronym expansion retrieval appends after the question mark ("… is. (Internationally …)")
    q = re.sub(r"(?<=[?.!])\s*\([^()]*\)$", "", question.strip())
    q = plain(q)
    # "What is a project's implementation date under Gold Standard?": a possessive is no closing quote
    q = re.sub(r"(?<=\w)['’]s\b", "", q)
    # …and a quoted term may be followed by a qualifier: "What is the 'date of project inactivity' in Verra rules?"
    q = re.sub(r"['‘\"“]([^'’\"”?]{2,60})['’\"”]", r"\1", q)
    q = q.rstrip(".!").strip()
    bare = _LEAD.sub("", q).rstrip("?").strip()
    first = _TERM_FIRST.match(bare)
    inline = None if first else _DEFINE_INLINE.search(q)
    m = None if first else (inline or _DEFINE.match(_LEAD.sub("", q)))
    if first:
        raw = next(g for g in first.groups() if g)
    elif m:
        raw = re.sub(r"^meant\s+by\s+(?:an?\s+|the\s+)?", "", m.group("term"), flags=re.I)
    else:
        return ""
    raw = _FULL_FORM.sub("", raw)
    term = re.sub(r"(?<!stand)(?<!stands),?\s+(?:under|in|according to|as defined by|for|by|of the)\s+.*$", "", raw,
                  flags=re.I)
    tail = raw[len(term):].lower()
    if tail and not any(n in tail for names in FAMILIES.values() for n in names + _REGIMES):
        return ""  # "what is the crediting period for ARR projects" asks a rule, not a definition
    term = re.sub(r"^(?:definition|meaning)\s+of\s+(?:an?\s+|the\s+)?", "", term, flags=re.I)
    # "What does X mean under the VCS Program?": the verb sits before the qualifier that was cut.
    # "What does ARR cover under the VCS Program?" asks what the term takes in: its definition too.
    verb = re.search(_MEANS_VERB, term, re.I)
    term = term[:verb.start()] if verb else term
    if m and not inline and not verb and not m.group("verb") and _DOES.match(_LEAD.sub("", q)):
        return ""  # "What does a VVB do?", "What does the MoC say about transfers?" ask a rule, not a term
    return term.strip(" ,;:") if 0 < len(term.split()) <= 6 else ""


class Glossary:
    """Defined terms of the indexed corpus, as passages a 'what is X' question can cite."""

    def __init__(self, search):
        self.search = search
        self._definitions = None
        self._entries_for: tuple = (None, {})

    def index(self):
        """Defined terms of the corpus (cached per index version)."""
        return self._cache()[1]

    def _cache(self):
        """(version, DefinitionIndex, whitespace-normalised page texts) for the current index."""
        from assistant.answering.definitions import DefinitionIndex
        from assistant.retrieval.views import doc_views

        version = self.search.store.index_version()
        if self._definitions is None or self._definitions[0] != version:
            lex = self.search.lexical
            pages: dict[tuple[str, int], str] = {}
            for doc_id, view in doc_views(lex.texts, lex.metas).items():
                bounds = view.page_offs + [len(view.text)]
                for i, num in enumerate(view.pages):  # a page may be marked at several chunk starts
                    key = (doc_id, num)
                    pages[key] = pages.get(key, "") + " " + view.text[bounds[i]: bounds[i + 1]]
            pages = {k: normalise_ws(v) for k, v in pages.items()}
            self._definitions = (version, DefinitionIndex.build(self.search), pages)
        return self._definitions

    def on_term(self, question: str, scored: list) -> list:
        """(p, sentence) pairs less those that belong to another term's entry on a glossary page.

        Glossary pages set one entry after another, so "What is a free-rider?" also scores the
        next entries ("Forced Labor Any work …") on shared page words; they answer another question.
        """
        term = definition_term(question)
        if not term or not scored:
            return scored
        try:
            index = self._cache()[1]
        except Exception:  # definitions are a bonus; the scored sentences still answer
            return scored
        asked = set(index.resolve(term))
        if not asked & index.by_key.keys():  # a term the glossaries do not define: nothing to tell apart
            return scored
        entries = self._entries(index)
        keep = []
        for p, x in scored:
            text = normalise_ws(x.text)
            head = norm_term(text[:100])
            owner = next((keys for t, keys, body in entries.get((x.passage.doc_id, x.page), ())
                          if head == t or head.startswith(t + " ") or text in body), None)
            if owner is None or owner & asked:
                keep.append((p, x))
        return keep or scored

    def _entries(self, index) -> dict[tuple[str, int], list[tuple[str, set[str], str]]]:
        """Per glossary page, its entries as (normalised term, its lookup keys, definition), longest term first."""
        if self._entries_for[0] is not index:
            pages: dict[tuple[str, int], list[tuple[str, set[str], str]]] = {}
            for d in index.definitions:
                if d.kind in ("list", "table"):
                    entry = (norm_term(d.term), {norm_term(d.term), *d.aliases}, normalise_ws(d.definition))
                    pages.setdefault((d.doc_id, d.page), []).append(entry)
            self._entries_for = (index, {k: sorted(v, key=lambda e: -len(e[0])) for k, v in pages.items()})
        return self._entries_for[1]

    def passages(self, question: str, allowed: list[str] | None) -> list[Passage]:
        """Glossary definitions of the term a 'what is X' question asks about, as passages."""
        term = definition_term(question)
        if not term:
            return []
        try:
            _v, index, pages = self._cache()
            defs = index.lookup(term, allowed)
        except Exception:  # definitions are a bonus; retrieval alone still answers
            return []
        out = []
        for d in defs[:3]:
            # A quote must stand verbatim on the page it cites: find that page, or skip the entry
            # (table glossaries can interleave a wrapped term with its definition).
            page = next((p for p in (d.page, d.page + 1, d.page - 1, d.page + 2)
                         if normalise_ws(d.definition) in pages.get((d.doc_id, p), "")), None)
            if page is None:
                continue
            key = hashlib.sha256(f"{d.doc_id}:{d.page}:{d.definition}".encode()).hexdigest()[:16]
            rec = self.search.documents().get(d.doc_id, {})
            # A term-column glossary prints "PDD (project design document) The document prepared by …":
            # quoted with its term, the reader sees what is defined, and the spelled-out acronym.
            headed = normalise_ws(f"{d.term} {d.definition}")
            text = headed if headed in pages.get((d.doc_id, page), "") else d.definition
            out.append(Passage(
                id=f"def:{key}", doc_id=d.doc_id, title=d.title, text=text, page_start=page,
                page_end=page, page_label="", section=d.section, score=1.0,
                version=rec.get("version", ""), category=rec.get("category", ""),
                page_marks=json.dumps([[0, page, ""]]),
            ))
        return out
