"""Defined terms per document: the index built from the extracted terms, lookup and the `define` result."""
from __future__ import annotations

import difflib
import json

from assistant.answering.term_extract import ACR_TAIL, EXTRACTOR, Definition, extract_definitions, norm_term
from assistant.retrieval.text import learn_acronyms, tokenize

__all__ = ["Definition", "DefinitionIndex", "define", "differs", "extract_definitions", "jaccard", "norm_term"]

DIFFER_JACCARD = 0.5


class DefinitionIndex:
    """Defined terms of the corpus with acronyms; built once per index version, cached as JSON."""

    def __init__(self, definitions: list[Definition], acronyms: dict[str, str]):
        """Index definitions by every alias key."""
        self.definitions = definitions
        self.acronyms = acronyms
        self.by_key: dict[str, list[Definition]] = {}
        for d in definitions:
            for k in d.aliases:
                self.by_key.setdefault(k, []).append(d)

    @classmethod
    def build(cls, search) -> "DefinitionIndex":
        """Load the cached table for the current index version, or extract and cache it."""
        version = search.store.index_version()
        path = search.settings.data_dir / "definitions" / f"{version}-x{EXTRACTOR}.json"
        if path.exists():
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls([Definition(**d) for d in raw["definitions"]], raw["acronyms"])
        _ids, texts, metas = search.store.all_chunks()
        idx = cls(extract_definitions(texts, metas), learn_acronyms(texts))
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"definitions": [d.to_dict() for d in idx.definitions], "acronyms": idx.acronyms}
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return idx

    def resolve(self, term: str) -> list[str]:
        """Lookup keys for a term: itself, its long form if an acronym, its acronym if a long form."""
        keys = [norm_term(term)]
        t = term.strip()
        long = self.acronyms.get(t) or self.acronyms.get(t.upper())
        if long:
            keys.append(norm_term(long))
        keys += [norm_term(a) for a, lf in self.acronyms.items() if norm_term(lf) == keys[0]]
        keys = list(dict.fromkeys(k for k in keys if k))
        if keys and not any(k in self.by_key for k in keys):
            # Users say "harvesting" for the defined "Harvesting activity", "smallholder" for "Smallholders".
            k = keys[0]
            near = [k + "s", k[:-1] if k.endswith("s") else ""]
            longer = [t for t in self.by_key if t.startswith(k + " ") and len(t.split()) == len(k.split()) + 1]
            keys += [t for t in near + longer[:len(longer) == 1] if t in self.by_key]
        return keys

    def lookup(self, term: str, doc_ids: list[str] | None = None) -> list[Definition]:
        """Definitions of the term, one (the fullest) per document, tables and lists first."""
        rank = {"table": 0, "list": 0, "colon": 1, "means": 2, "acronym": 3}
        found: dict[str, Definition] = {}
        for k in self.resolve(term):
            for d in self.by_key.get(k, []):
                if doc_ids and d.doc_id not in doc_ids:
                    continue
                old = found.get(d.doc_id)
                if old is None or (rank[d.kind], -len(d.definition)) < (rank[old.kind], -len(old.definition)):
                    found[d.doc_id] = d
        return sorted(found.values(), key=lambda d: d.doc_id)

    def nearest(self, term: str, n: int = 5) -> list[str]:
        """Known terms closest in spelling to an unknown one."""
        return difflib.get_close_matches(norm_term(term), list(self.by_key), n=n, cutoff=0.6)


def jaccard(a: str, b: str) -> float:
    """Normalised content-token Jaccard overlap of two definitions."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return len(ta & tb) / max(1, len(ta | tb))


def differs(defs: list[Definition]) -> bool:
    """True when two instruments' definitions overlap less than DIFFER_JACCARD."""
    return any(jaccard(x.definition, y.definition) < DIFFER_JACCARD
               for i, x in enumerate(defs) for y in defs[i + 1:])


def define(index: DefinitionIndex, term: str, doc_ids: list[str] | None = None) -> dict:
    """The `define` result: definitions side by side, the DIFFERS flag, or the nearest terms."""
    defs = index.lookup(term, doc_ids)
    resolved = [index.acronyms[k] for k in (term.strip(), term.strip().upper()) if k in index.acronyms][:1]
    for d in defs:  # the glossary's own 'Long Form (ACR)' spelling beats the learnt one
        m = ACR_TAIL.search(d.term)
        if m and norm_term(m.group(1)) == norm_term(term):
            resolved = [d.term[: m.start()].strip()]
            break
    return {
        "term": term,
        "expands_to": resolved[0] if resolved else "",
        "definitions": [d.to_dict() for d in defs],
        "differs": len(defs) >= 2 and differs(defs),
        "nearest": [] if defs else index.nearest(term),
    }
