"""Filtering and searching the obligations register; matching questions to obligations; diffing versions."""
from __future__ import annotations

import difflib
import math
import time
from dataclasses import dataclass, field

from assistant.normative.actors import canonical_query_actor
from assistant.compliance.obligations import Obligation, ObligationRegister
from assistant.retrieval.text import tokenize
from ingest.errors import CarbonQAError

TOPIC_MIN = 0.25  # share of the topic's IDF mass an obligation must contain to count as a lexical hit
MODALITIES = ("duty", "prohibition", "permission", "recommendation")
_CUES = {"duty": ("must", "shall", "required", "need", "have to", "has to", "oblig", "mandatory"),
         "prohibition": ("must not", "shall not", "may not", "cannot", "prohibit", "not allowed", "forbid"),
         "permission": ("may ", "can ", "allowed", "permitted", "option"),
         "recommendation": ("should", "recommend")}


@dataclass
class ObligationQuery:
    """Filters of one register query; every field optional."""

    doc_ids: list[str] = field(default_factory=list)
    actor: str | None = None
    modality: str | None = None
    topic: str | None = None
    in_force: set[str] | None = None  # allowed ids on --as-of (see in_force_ids)
    limit: int | None = None


@dataclass
class ObligationMatch:
    """An obligation and how well it matches a question or topic."""

    obligation: Obligation
    score: float


@dataclass
class QueryResult:
    """What a query returns: the obligations, notes about empty documents, and the time it took."""

    obligations: list[Obligation]
    notes: dict[str, str]
    scores: dict[str, float]
    ms: float

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"count": len(self.obligations), "notes": self.notes, "query_ms": round(self.ms, 2),
                "obligations": [{**o.to_dict(), **({"score": self.scores[o.id]} if o.id in self.scores else {})}
                                for o in self.obligations]}


def validate(reg: ObligationRegister, q: ObligationQuery) -> str | None:
    """Check documents, modality and actor against the register; returns the canonical actor."""
    unknown = [d for d in q.doc_ids if d not in reg.documents]
    if unknown:
        raise CarbonQAError(f"unknown document id(s): {', '.join(unknown)}; valid ids: {', '.join(sorted(reg.documents))}")
    if q.modality and q.modality not in MODALITIES:
        raise CarbonQAError(f"unknown modality '{q.modality}'; valid: {', '.join(MODALITIES)}")
    if not q.actor:
        return None
    fams = {reg.documents[d].family for d in q.doc_ids} or {None}
    actor = canonical_query_actor(q.actor, next(iter(fams)) if len(fams) == 1 else None)
    valid = reg.actors(q.doc_ids or None)
    if actor not in valid:
        raise CarbonQAError(f"unknown actor '{q.actor}'" + (f" in {', '.join(q.doc_ids)}" if q.doc_ids else "")
                            + f"; valid actors: {', '.join(valid)}")
    return actor


def lexicon(reg: ObligationRegister) -> tuple[list[set[str]], dict[str, float]]:
    """Tokens per obligation and their inverse document frequency (cached on the register object)."""
    if reg.lexicon is None:
        toks = [set(tokenize(o.text() + " " + o.section)) for o in reg.obligations]
        df: dict[str, int] = {}
        for ts in toks:
            for t in ts:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(toks))
        reg.lexicon = (toks, {t: math.log(1 + n / c) for t, c in df.items()})
    return reg.lexicon


def lexical_scores(reg: ObligationRegister, text: str, rows: list[int]) -> dict[int, float]:
    """IDF-weighted token overlap of `text` with each obligation row (row index into reg.obligations)."""
    tokens, idf = lexicon(reg)
    q = {t for t in tokenize(text) if t in idf}
    if not q:
        return {}
    norm = sum(idf[t] for t in q)
    out = {}
    for i in rows:
        hit = q & tokens[i]
        if hit:
            out[i] = sum(idf[t] for t in hit) / norm
    return out


def query(reg: ObligationRegister, q: ObligationQuery, search=None) -> QueryResult:
    """Obligations that pass the filters; with a topic, ranked by hybrid search restricted to obligations."""
    t = time.perf_counter()
    actor = validate(reg, q)
    rows = [i for i, o in enumerate(reg.obligations)
            if (not q.doc_ids or o.doc_id in q.doc_ids) and (not actor or o.actor == actor)
            and (not q.modality or o.modality == q.modality)
            and (q.in_force is None or o.doc_id in q.in_force)]
    scores: dict[str, float] = {}
    if q.topic:
        fused = _hybrid(reg, q.topic, rows, q.doc_ids, search)
        rows = sorted(fused, key=lambda i: -fused[i])
        scores = {reg.obligations[i].id: round(fused[i], 4) for i in rows}
    notes = {d: reg.documents[d].note for d in q.doc_ids if reg.documents[d].note}
    out = [reg.obligations[i] for i in rows][: q.limit or None]
    return QueryResult(out, notes, scores, (time.perf_counter() - t) * 1000)


def _hybrid(reg: ObligationRegister, topic: str, rows: list[int], doc_ids: list[str], search) -> dict[int, float]:
    """Reciprocal-rank fusion of lexical scores over obligations and the index's hybrid passage ranking."""
    lex = {i: v for i, v in lexical_scores(reg, topic, rows).items() if v >= TOPIC_MIN}
    fused: dict[int, float] = {}
    for rank, i in enumerate(sorted(lex, key=lambda i: -lex[i]), 1):
        fused[i] = 1.0 / (60 + rank)
    if search is not None:
        from assistant.retrieval.hybrid import Filters

        passages = search.search(topic, Filters(doc_ids=list(doc_ids)) if doc_ids else None, k=40)
        prank = {p.id: r for r, p in enumerate(passages, 1)}
        allowed = set(rows)
        for i, o in enumerate(reg.obligations):
            if i in allowed and o.passage_id in prank:
                fused[i] = fused.get(i, 0.0) + 1.0 / (60 + prank[o.passage_id])
    return fused


def in_force_ids(reg: ObligationRegister, entries: list, as_of) -> set[str]:
    """Register documents in force on `as_of`; documents outside the manifest (ad hoc) always count."""
    from assistant.retrieval.versions import in_force

    known = {e.id for e in entries}
    force = in_force(entries, as_of)
    return {d for d in reg.documents if d not in known or d in force}


def matching_obligations(question: str, register: ObligationRegister, doc_ids: list[str] | None = None,
                         k: int = 5) -> list[ObligationMatch]:
    """The obligations that best match a question ('what must the VVB do before …'), strongest first.

    Scores lexical overlap with the obligation text and section, plus a bonus when the question names
    the obligation's actor or asks in its modality ('must' → duty). Use them as answer evidence:
    `match.obligation.citation(n)` is a Citation with the verbatim quote and its page.
    """
    rows = [i for i, o in enumerate(register.obligations) if not doc_ids or o.doc_id in doc_ids]
    lex = lexical_scores(register, question, rows)
    ql = f" {question.lower()} "
    named = {o.actor for o in register.obligations if o.actor not in ("unspecified", "other", "project")
             and (o.actor.lower() in ql or o.actor_surface.lower() in ql)}
    asked = [m for m, cues in _CUES.items() if any(c in ql for c in cues)]
    out = []
    for i, s in lex.items():
        o = register.obligations[i]
        s += 0.25 * (o.actor in named) + 0.1 * (o.modality in asked) + 0.05 * bool(o.deadline and " before" in ql)
        out.append(ObligationMatch(o, round(s, 4)))
    out.sort(key=lambda m: (-m.score, m.obligation.doc_id, m.obligation.offset))
    return out[:k]


@dataclass
class ObligationChange:
    """An obligation added, removed or changed between two versions of a rulebook."""

    kind: str  # added | removed | changed
    old: Obligation | None
    new: Obligation | None
    ratio: float

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"kind": self.kind, "ratio": self.ratio, "old": self.old.to_dict() if self.old else None,
                "new": self.new.to_dict() if self.new else None}


def diff_obligations(reg: ObligationRegister, old_id: str, new_id: str, same: float = 0.6) -> list[ObligationChange]:
    """Obligations added, removed and changed from one document version to another (text and section matched)."""
    validate(reg, ObligationQuery(doc_ids=[old_id, new_id]))
    old = [o for o in reg.obligations if o.doc_id == old_id]
    new = [o for o in reg.obligations if o.doc_id == new_id]
    exact = {o.text() for o in old} & {o.text() for o in new}
    old = [o for o in old if o.text() not in exact]
    new = [o for o in new if o.text() not in exact]
    changes: list[ObligationChange] = []
    left = list(old)
    for n in new:
        best, ratio = None, 0.0
        for o in left:
            r = difflib.SequenceMatcher(None, o.text(), n.text(), autojunk=False).ratio()
            r += 0.1 * (o.section.split(" > ")[-1:] == n.section.split(" > ")[-1:])
            if r > ratio:
                best, ratio = o, r
        if best is not None and ratio >= same:
            left.remove(best)
            changes.append(ObligationChange("changed", best, n, round(min(ratio, 1.0), 3)))
        else:
            changes.append(ObligationChange("added", None, n, 0.0))
    changes += [ObligationChange("removed", o, None, 0.0) for o in left]
    return changes
