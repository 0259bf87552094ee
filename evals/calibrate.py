"""Abstention calibration: pick the support threshold that best separates answerable from not.

The Assistant abstains when its support score (the best extractive sentence score, less a
penalty for rare question terms no passage contains) is below `abstain_threshold`. Here every
question's support is computed exactly as Assistant.ask does (via Assistant.gather),
and each candidate threshold is scored by balanced accuracy:
(abstain recall on unanswerable + answer rate on answerable) / 2.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from evals.dataset import Question


@dataclass(frozen=True)
class Point:
    """One candidate threshold and what it would do on the question set."""

    threshold: float
    abstain_recall: float  # unanswerable questions that abstain
    answer_rate: float  # answerable questions that get an answer
    balanced_accuracy: float
    false_abstain_rate: float


def support_scores(assistant, questions: list[Question], progress: bool = True) -> list[tuple[Question, float]]:
    """(question, support) exactly as Assistant.ask computes it before deciding to abstain."""
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc="support", unit="q", disable=not progress, dynamic_ncols=True):
        question = " ".join(q.question.split())  # as Assistant.ask's _check_question does
        history = [h for h in q.history if h.strip()]
        if hasattr(assistant, "gather"):
            # Assistant.gather is the part of ask before the answer: rewrite, retrieval, scoring, support.
            out.append((q, float(assistant.gather(question, history).support)))
            continue
        from assistant.followup import rewrite_followup
        from assistant.retrieval import FAMILIES

        standalone = rewrite_followup(question, history, FAMILIES) if history else question
        scored = assistant.extractive().score(standalone, assistant.search.search(standalone))
        out.append((q, scored[0][0] if scored else 0.0))
    return out


def evaluate_threshold(pairs: list[tuple[bool, float]], t: float) -> Point:
    """Rates at threshold t for (answerable, support) pairs; abstain when support < t."""
    ans = [s for a, s in pairs if a]
    una = [s for a, s in pairs if not a]
    ar = sum(s < t for s in una) / len(una) if una else 0.0
    rate = sum(s >= t for s in ans) / len(ans) if ans else 0.0
    return Point(round(t, 4), round(ar, 4), round(rate, 4), round((ar + rate) / 2, 4), round(1 - rate, 4))


def sweep(pairs: list[tuple[bool, float]]) -> list[Point]:
    """Every threshold that changes a decision: midpoints between consecutive distinct supports."""
    vals = sorted({round(s, 4) for _, s in pairs})
    cands = [vals[0] - 0.01] + [(a + b) / 2 for a, b in zip(vals, vals[1:])] + [vals[-1] + 0.01] if vals else [0.0]
    return [evaluate_threshold(pairs, t) for t in cands]


def best(points: list[Point], min_answer_rate: float = 0.0) -> Point:
    """Highest balanced accuracy (answering at least min_answer_rate of answerable questions); middle of a tie."""
    # With a weak support signal the unconstrained optimum can abstain on most answerable questions;
    # the floor on the answer rate keeps the choice usable.
    allowed = [p for p in points if p.answer_rate >= min_answer_rate] or points
    top = max(p.balanced_accuracy for p in allowed)
    ties = [p for p in allowed if p.balanced_accuracy == top]
    return ties[len(ties) // 2]


def grid(pairs: list[tuple[bool, float]], lo: float = 0.10, hi: float = 0.70, step: float = 0.02) -> list[Point]:
    """The ROC-like table at round thresholds, for reading by eye."""
    n = int(round((hi - lo) / step)) + 1
    return [evaluate_threshold(pairs, lo + i * step) for i in range(n)]


def auc(pairs: list[tuple[bool, float]]) -> float | None:
    """Chance that an answerable question out-scores an unanswerable one (0.5 = support tells nothing)."""
    ans = [s for a, s in pairs if a]
    una = [s for a, s in pairs if not a]
    if not ans or not una:
        return None
    wins = sum((a > u) + 0.5 * (a == u) for a in ans for u in una)
    return round(wins / (len(ans) * len(una)), 4)


def calibrate(supports: list[tuple[Question, float]], current: float | None = None,
              min_answer_rate: float = 0.0) -> dict:
    """Best threshold, the table, the support AUC, and where the current setting stands."""
    pairs = [(q.answerable, s) for q, s in supports]
    points = sweep(pairs)
    chosen = best(points, min_answer_rate)
    return {
        "best": asdict(chosen),
        "min_answer_rate": min_answer_rate,
        "auc": auc(pairs),
        "current": asdict(evaluate_threshold(pairs, current)) if current is not None else None,
        "n_answerable": sum(a for a, _ in pairs),
        "n_unanswerable": sum(not a for a, _ in pairs),
        "grid": [asdict(p) for p in grid(pairs)],
        "supports": [{"id": q.id, "type": q.type, "answerable": q.answerable, "support": round(s, 4)} for q, s in supports],
    }


def table(result: dict):
    """The grid (plus the best and current points) as a rich Table."""
    from rich.table import Table

    t = Table(title=f"Abstention threshold sweep (answerable {result['n_answerable']}, "
                    f"unanswerable {result['n_unanswerable']}; support AUC {result.get('auc')})")
    for col in ("threshold", "abstain recall", "answer rate", "false abstain", "balanced acc."):
        t.add_column(col, justify="right")
    rows = [(p, "") for p in result["grid"]]
    rows.append((result["best"], "best"))
    if result["current"]:
        rows.append((result["current"], "current"))
    for p, tag in sorted(rows, key=lambda r: (r[0]["threshold"], r[1])):
        style = "bold green" if tag == "best" else "bold yellow" if tag == "current" else None
        t.add_row(f"{p['threshold']:.3f} {tag}".strip(), f"{p['abstain_recall']:.3f}", f"{p['answer_rate']:.3f}",
                  f"{p['false_abstain_rate']:.3f}", f"{p['balanced_accuracy']:.3f}", style=style)
    return t


def write(result: dict, out_dir: Path) -> Path:
    """DIR/calibration.json (the whole result, supports included)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "calibration.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
