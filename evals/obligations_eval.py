"""Score the obligations parser on the hand-labelled gold set (evals/obligations/gold.jsonl)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from assistant.normative.actors import family_of
from assistant.normative.sentence import parse_sentence

GOLD = Path(__file__).resolve().parent / "obligations" / "gold.jsonl"
TARGETS = {"detection_precision": 0.95, "detection_recall": 0.90, "modality_accuracy": 0.95,
           "actor_accuracy": 0.85, "deadline_exact_match": 0.90, "crossref_resolution": 0.80}
_GLOSSARY = re.compile(r"glossary|definitions", re.I)


def load_gold(path: Path = GOLD) -> list[dict]:
    """The gold rows, one dict per sentence."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(text: str | None) -> str:
    """Lower-case, quote-straightened, single-spaced, without end punctuation: the exact-match form."""
    return " ".join((text or "").replace("’", "'").lower().split()).strip(" .,;")


def _f1(a: str | None, b: str | None) -> float:
    """Token F1 of two spans (condition overlap)."""
    ta, tb = _norm(a).split(), _norm(b).split()
    common = sum(min(ta.count(t), tb.count(t)) for t in set(ta))
    if not ta or not tb or not common:
        return 0.0
    p, r = common / len(tb), common / len(ta)
    return 2 * p * r / (p + r)


def _ratio(num: int, den: int) -> float | None:
    """num/den rounded, None when there is nothing to score."""
    return round(num / den, 4) if den else None


def _crossrefs(row: dict, resolver) -> tuple[int, int, int]:
    """(resolved exactly, resolved to the target or its enclosing section, gold references in the corpus)."""
    gold = [x for x in row.get("crossrefs", []) if x.get("doc")]
    if not gold or resolver is None:
        return 0, 0, len(gold)
    got = [r for r in resolver.find(row["quote"], row["doc"]) if r.resolved]

    def hit(g, exact: bool) -> bool:
        """A resolved reference to the gold target."""
        return any(r.doc_id == g["doc"] and (g["section"] is None or r.section == g["section"])
                   and (r.exact or not exact) for r in got)

    return sum(hit(g, True) for g in gold), sum(hit(g, False) for g in gold), len(gold)


def score(rows: list[dict], resolver=None) -> dict:
    """Detection precision/recall, modality/actor accuracy, deadline EM, cross-reference resolution."""
    c = dict(tp=0, fp=0, fn=0, mod=0, act=0, dl=0, dl_n=0, xr=0, xr_any=0, xr_n=0)
    cond, errors = [], []
    for r in rows:
        p = parse_sentence(r["quote"], family_of(r["doc"]), bool(_GLOSSARY.search(r["doc"])))
        if p is None:
            c["fn"] += r["is_obligation"]
            if r["is_obligation"]:
                errors.append({"id": r["id"], "kind": "missed", "gold": r["modality"]})
            continue
        if not r["is_obligation"]:
            c["fp"] += 1
            errors.append({"id": r["id"], "kind": "false obligation", "got": p.modality})
            continue
        c["tp"] += 1
        c["mod"] += p.modality == r["modality"]
        c["act"] += p.actor == r["actor"]
        if p.modality != r["modality"] or p.actor != r["actor"]:
            errors.append({"id": r["id"], "kind": "modality" if p.modality != r["modality"] else "actor",
                           "gold": [r["modality"], r["actor"]], "got": [p.modality, p.actor]})
        if r["deadline"]:
            c["dl_n"] += 1
            c["dl"] += _norm(p.deadline) == _norm(r["deadline"])
        elif p.deadline:
            errors.append({"id": r["id"], "kind": "spurious deadline", "got": p.deadline})
        if r["condition"]:
            cond.append(_f1(r["condition"], p.condition))
    for r in rows:
        if r["is_obligation"]:
            ok, near, n = _crossrefs(r, resolver)
            c["xr"] += ok
            c["xr_any"] += near
            c["xr_n"] += n
    n_pred, n_gold = c["tp"] + c["fp"], c["tp"] + c["fn"]
    return {
        "sentences": len(rows), "obligations": n_gold,
        "detection_precision": _ratio(c["tp"], n_pred), "detection_recall": _ratio(c["tp"], n_gold),
        "modality_accuracy": _ratio(c["mod"], c["tp"]), "actor_accuracy": _ratio(c["act"], c["tp"]),
        "deadline_exact_match": _ratio(c["dl"], c["dl_n"]), "deadlines": c["dl_n"],
        "spurious_deadlines": sum(e["kind"] == "spurious deadline" for e in errors),
        "crossref_resolution": _ratio(c["xr"], c["xr_n"]) if resolver is not None else None,
        "crossref_resolution_or_enclosing": _ratio(c["xr_any"], c["xr_n"]) if resolver is not None else None,
        "crossrefs_in_corpus": c["xr_n"],
        "condition_token_f1": round(sum(cond) / len(cond), 4) if cond else None,
        "errors": errors,
    }


def evaluate(rows: list[dict], resolver=None, splits: tuple[str, ...] = ("dev", "test", "all")) -> dict:
    """Scores per split, with the targets and whether each is met."""
    out = {"primary_metric": "detection_recall", "targets": TARGETS, "splits": {}}
    for sp in splits:
        part = [r for r in rows if sp == "all" or r.get("split") == sp]
        res = score(part, resolver)
        res["met"] = {k: (None if res[k] is None else res[k] >= v) for k, v in TARGETS.items()}
        out["splits"][sp] = res
    return out


def verify_quotes(rows: list[dict], pages) -> list[str]:
    """Ids of gold rows whose quote is not verbatim on its page (pages: evals.dataset.CorpusPages)."""
    bad = []
    for r in rows:
        got = pages.page(r["doc"], r["page"])
        if got is None or not any(r["quote"] in v for v in got):
            bad.append(r["id"])
    return bad


def resolver_from_store(store):
    """A cross-reference resolver over the documents of an index."""
    from assistant.compliance.crossref import Resolver, section_index
    from assistant.retrieval.views import doc_views

    _ids, texts, metas = store.all_chunks()
    return Resolver({d: section_index(v) for d, v in doc_views(texts, metas).items()})
