"""Pure parts of hybrid retrieval: document names, reciprocal-rank fusion, merge and per-document quota."""
from __future__ import annotations

import re

from assistant.models import Passage
from assistant.retrieval.text import front_matter

FAMILIES = {
    "verra": ["verra", "vcs", "verified carbon standard"],
    "gold-standard": ["gold standard", "gs4gg", "gsver", "gsvers"],
    "cdm": ["cdm", "clean development mechanism"],
    "vanuatu": ["vanuatu"],
    "economic-survey": ["economic survey"],
    "icra": ["icra"],
    "ndc-synthesis": ["ndc synthesis", "synthesis report", "unfccc synthesis"],
}
# "Economic Survey 2023-24, Chapter 6: …": a name followed by the year or year range of its edition.
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_CODE = re.compile(r"(?<![\w-])[A-Z]{2,}\d{2,}(?![\w-])")  # "TOOL07", not "CDM-EB07-A04"
_EDITION = re.compile(r"^(?P<base>[A-Z][A-Za-z&' ]*[A-Za-z]),? (?P<year>(?:19|20)\d\d(?:-\d\d)?)\b")


def aliases(doc_id: str, record: dict) -> dict[str, list[str]]:
    """Family -> names a user may call this document by (issuer family, then the exact title)."""
    text = " ".join([doc_id, record.get("title", ""), record.get("issuer", "")]).lower().replace("-", " ")
    out = {fam: names for fam, names in FAMILIES.items() if any(n in text for n in names + [fam.replace("-", " ")])}
    title = record.get("title", "")
    if title:
        out.setdefault(doc_id, [title.lower(), *short_names(title)])
    return out


def short_names(title: str) -> list[str]:
    """What users call a document besides its full title: its codes ('TOOL07'), subtitle and edition.

    "Gold Standard for the Global Goals: Principles & Requirements (core document 101)" is
    "Principles & Requirements"; "Methodological tool TOOL07: Tool to calculate …" is "TOOL07";
    "Economic Survey 2023-24, Chapter 6: …" is also "the 2023-24 Survey" and "the 2023-24 Economic Survey".
    """
    codes = [c.lower() for c in _CODE.findall(title)]
    sub = re.sub(r"\s*\([^)]*\)", "", title.rsplit(":", 1)[1]).strip().lower() if ":" in title else ""
    return list(dict.fromkeys(codes + ([sub] if len(sub.split()) >= 2 else []) + edition_names(title)))


def edition_names(title: str) -> list[str]:
    """Names of one edition of a serial document: 'economic survey 2023-24', '2023-24 economic survey', '2023-24 survey'."""
    m = _EDITION.match(title)
    if not m or len(m["base"].split()) < 2:
        return []
    base, year = m["base"].lower(), m["year"]
    return [f"{base} {year}", f"{year} {base}", f"{year} {base.split()[-1]}"]


def name_patterns(names: dict[str, dict[str, list[str]]]) -> list[tuple[re.Pattern, str, list[str]]]:
    """(one compiled pattern for a family's names, family, its documents in registry order).

    Built once per registry: matching each document's names one regex at a time ran on every
    query and grew with the number of documents.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for doc_id, fams in names.items():
        for fam, ns in fams.items():
            groups.setdefault((fam, tuple(ns)), []).append(doc_id)
    # "the 2022-23 and 2023-24 Economic Surveys": a plural of a name in words names it too ("vcss" stays
    # unknown), but not of an edition's name: that plural names the editions together, so the family counts.
    return [(re.compile(r"\b(?:" + "|".join(re.escape(n) + ("s?" if " " in n and not _YEAR.search(n) else "")
                                              for n in ns) + r")\b"),
             fam, docs)
            for (fam, ns), docs in groups.items()]


def families_in(query: str, patterns, allowed: set[str] | None) -> dict[str, list[str]]:
    """Families the (lower-cased) query names, with their allowed document ids."""
    fams: dict[str, list[str]] = {}
    for pattern, fam, docs in patterns:
        hit = [d for d in docs if allowed is None or d in allowed]
        if hit and pattern.search(query):
            fams.setdefault(fam, []).extend(hit)
    # "under the VCS Standard" names both the Verra family and that one document: the narrower name
    # is what the user means, not a comparison of Verra with its own standard.
    sets = {f: set(d) for f, d in fams.items()}
    order = {f: i for i, f in enumerate(fams)}
    # a name is dropped for a narrower one, or for an earlier one with the same documents
    wider = {f for f in fams for g in fams
             if g != f and (sets[g] < sets[f] or (sets[g] == sets[f] and order[g] < order[f]))}
    return {f: d for f, d in fams.items() if f not in wider}


# Words that ask for instruments side by side; "the way X does" too.
_COMPARISON_WORDS = r"compar\w*|differ\w*|versus|vs|same|agree\w*|alike|similar\w*|whereas|contrast\w*|distinguish\w*"
_STRONG_CUE = re.compile(rf"\b({_COMPARISON_WORDS})\b")
_COMPARE_CUE = re.compile(rf"\b({_COMPARISON_WORDS}|both|each|the way)\b")
_JOIN = re.compile(r"(,|\band\b|\bor\b|\bnor\b)")
# "registered under both the CDM and the VCS", "listed with both Verra and Gold Standard": one project's
# standing under two programmes, asked about as one fact. Only a comparison word makes it a comparison.
_DUAL = re.compile(r"\b(under|with|in|by|into|on) both\b")


def compares(query: str, patterns, families: dict[str, list[str]]) -> bool:
    """True when a (lower-cased) query naming two or more families asks for them side by side.

    "How do Verra and Gold Standard define double claiming?" does; "How do we turn CERs issued to
    our Gold Standard-labelled CDM project into GSVERs?" names the CDM only to say which project, and
    a side-by-side answer ("CDM: Acronyms and abbreviations…") answers nothing. A comparison word,
    or two names joined by "and", "or" or a comma within a few words, marks the comparison.
    """
    if len(families) < 2:
        return False
    if _DUAL.search(query) and not _STRONG_CUE.search(query):
        return False
    if _COMPARE_CUE.search(query):
        return True
    spans = sorted((m.start(), m.end(), fam) for pattern, fam, _docs in patterns if fam in families
                   for m in pattern.finditer(query))
    for (_s1, e1, f1), (s2, _e2, f2) in zip(spans, spans[1:]):
        between = query[e1:s2]
        if f1 != f2 and s2 >= e1 and len(between.split()) <= 6 and _JOIN.search(between):
            return True
    return False


def rrf(dense: list[tuple[str, str, dict, float]], lexical: list[tuple[str, str, dict, float]],
        rrf_k: int, dense_weight: float, bm25_weight: float) -> list[Passage]:
    """Reciprocal-rank fusion of two rankings of (id, text, metadata, score), best first."""
    by_id: dict[str, Passage] = {}
    for rank, (cid, text, meta, sim) in enumerate(dense, 1):
        p = by_id.setdefault(cid, passage(cid, text, meta))
        p.dense_rank, p.dense_score = rank, round(sim, 4)
        p.score += dense_weight / (rrf_k + rank)
    for rank, (cid, text, meta, score) in enumerate(lexical, 1):
        p = by_id.setdefault(cid, passage(cid, text, meta))
        p.bm25_rank, p.bm25_score = rank, round(score, 4)
        p.score += bm25_weight / (rrf_k + rank)
    # Cover pages and contents listings match a question's words (often the document's own name)
    # but never state an answer: they go after every passage with content.
    ranked = sorted(by_id.values(), key=lambda p: (front_matter(p.text), -p.score))
    for p in ranked:
        p.score = round(p.score, 5)
    return ranked


def passage(cid: str, text: str, meta: dict) -> Passage:
    """A Passage from stored chunk metadata, scores filled in by fusion."""
    return Passage(
        id=cid, doc_id=meta["doc_id"], title=meta.get("title", ""), text=text,
        page_start=int(meta["page_start"]), page_end=int(meta["page_end"]),
        page_label=meta.get("page_label", ""), section=meta.get("section", ""), score=0.0,
        version=meta.get("version", ""), category=meta.get("category", ""),
        section_marks=meta.get("section_marks", "[]"), page_marks=meta.get("page_marks", "[]"),
    )


def merge(base: list[Passage], extra: list[Passage], k: int) -> list[Passage]:
    """Put `extra` passages into the top-k, displacing the lowest-ranked ones."""
    have = {p.id for p in base}
    add = [p for p in extra if p.id not in have]
    if not add:
        return base
    keep = base[: max(0, k - len(add))]
    added = {a.id for a in add}
    return keep + add + [p for p in base[len(keep):] if p.id not in added]


def quota(passages: list[Passage], k: int, per_doc: int) -> list[Passage]:
    """At most `per_doc` passages from one document in the top-k, unless nothing else is left."""
    out, spill, count = [], [], {}
    for p in passages:
        if count.get(p.doc_id, 0) < per_doc:
            out.append(p)
            count[p.doc_id] = count.get(p.doc_id, 0) + 1
        else:
            spill.append(p)
    return (out + spill)[:k]


_FAMILY_NAMES = {"verra": "Verra (VCS)", "gold-standard": "Gold Standard", "cdm": "CDM", "icra": "ICRA",
                 "ndc-synthesis": "NDC synthesis report", "economic-survey": "Economic Survey", "vanuatu": "Vanuatu"}


def family_name(fam: str, title: str = "", version: str | None = None) -> str:
    """How a user calls a document family, or one document (a family of its own) by its title."""
    if fam in _FAMILY_NAMES:
        return _FAMILY_NAMES[fam]
    return document_name(title, version) if title else fam.replace("-", " ").title()


def document_name(title: str, version: str | None = None) -> str:
    """A document as a comparison names it: its code or edition, else its title; with its version.

    "Methodological tool TOOL01: Tool for the demonstration …" is "TOOL01 (v07.0.0)", "VCS Standard"
    "VCS Standard (v4.7)": not the file id ("Cdm Tool01 Additionality V07.0.0 2012") a compliance
    reader cannot look up.
    """
    codes = _CODE.findall(title)
    edition = _EDITION.match(title)
    name = (codes[0] if codes else f"{edition['base']} {edition['year']}" if edition
            else re.sub(r"\s*\([^)]*\)", "", title).strip() or title)
    return f"{name} (v{version})" if version else name


def named_first(passages, families: dict[str, list[str]], n: int = 8, per_family: int = 3, others: int = 3):
    """Passages worth reading for the answer: the named documents' best first, then the rest."""
    if not families:
        return passages[:n]
    if len(families) == 1:
        docs = next(iter(families.values()))
        named = [p for p in passages if p.doc_id in docs][:n]
        return named or passages[:n]  # the user named the instrument: answer from it
    picked = []
    for docs in families.values():
        picked += [p for p in passages if p.doc_id in docs][:per_family]
    return picked + [p for p in passages if p not in picked][:others]
