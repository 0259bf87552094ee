"""CI gate: the 40-question ci.jsonl slice, extractive, over the real corpus, must meet evals/floors.json.

Floors sit a little below measured values so noise does not flake; raising one is a deliberate commit.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FLOORS = REPO / "evals" / "floors.json"


def _floors() -> dict:
    """The floors file."""
    return json.loads(FLOORS.read_text(encoding="utf-8"))


def test_floors_file_names_known_metrics():
    f = _floors()
    assert (REPO / f["questions"]).exists()
    known = {"primary", "page_recall@1", "page_recall@5", "page_recall@10", "page_hit@5", "doc_recall@5", "mrr@10",
             "ndcg@10", "key_fact_recall", "citation_validity", "citation_precision", "citation_recall",
             "abstain_recall", "false_abstain_rate", "answerability_auc", "contains_answer", "exact_match"}
    assert set(f["floors"]) | set(f.get("ceilings", {})) <= known
    assert all(0 <= v <= 1 for v in list(f["floors"].values()) + list(f.get("ceilings", {}).values()))


@pytest.mark.slow
def test_ci_slice_meets_floors(indexed_settings, tmp_path_factory):
    from evals.baselines import AssistantPipeline
    from evals.dataset import CorpusPages, load_questions
    from evals.runner import evaluate

    f = _floors()
    qfile = REPO / f["questions"]
    out = tmp_path_factory.mktemp("eval-gate")
    # Page texts cached under the test's temp dir: the shared index folder stays read-only.
    corpus = CorpusPages(indexed_settings, cache_dir=out / "pages")
    meta, _ = evaluate(AssistantPipeline(indexed_settings, f.get("answerer", "extractive")), load_questions(qfile),
                       corpus, questions_file=qfile, settings_digest=indexed_settings.digest(),
                       out_dir=out / "run", progress=False)
    o = meta["overall"]
    assert meta["n"] == 40 and o["n_errors"] == 0
    low = [f"{k} {o.get(k)} < floor {v}" for k, v in f["floors"].items() if o.get(k) is None or o[k] < v]
    high = [f"{k} {o.get(k)} > ceiling {v}" for k, v in f.get("ceilings", {}).items() if o.get(k) is None or o[k] > v]
    assert not low + high, "eval gate failed (report: " + str(out / "run" / "report.md") + "): " + "; ".join(low + high)
