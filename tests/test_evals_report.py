"""Runner outputs and reports on hand-made answers: metrics.json shape, report.md, plots, side-by-side."""
from __future__ import annotations

import json

import pytest
from rich.console import Console

from assistant.models import Answer, Citation, Passage
from evals.dataset import CorpusPages, Evidence, Question
from evals.report import compare_dirs
from evals.runner import build_metrics, run_questions, write_outputs

CORPUS = CorpusPages(pages={"doc-a": [("p one", "p one"), ("The levy is ten per cent of issuance.",) * 2]})
QS = [
    Question("q001", "What is the levy?", "number", "Ten per cent.", ("10%",),
             (Evidence("doc-a", 2, "The levy is ten per cent of issuance."),)),
    Question("q002", "What is the fee for X?", "unanswerable", "The corpus does not say.", (), ()),
    Question("q003", "And the levy again?", "number", "Ten per cent.", ("10%",),
             (Evidence("doc-a", 2, "The levy is ten per cent of issuance."),), history=("What is the levy?",)),
]


class FakePipeline:
    """Answers from a script; records the history it was given."""

    name, answerer = "fake", "extractive"

    def __init__(self, good: bool):
        self.good, self.histories = good, []

    def ask(self, question, history):
        """A right (cited, page 2 first) or wrong (page 1, abstains on everything) answer."""
        self.histories.append(history)
        page = 2 if self.good else 1
        p = Passage("c1", "doc-a", "Doc A", "x", page, page, "", "", 1.0)
        unanswerable = "fee" in question
        abstained = unanswerable or not self.good
        quote = "The levy is ten per cent of issuance." if self.good else "p one"
        cit = Citation(1, "doc-a", "Doc A", page, "", "", quote, 1.0)
        return Answer(question, "abstain" if abstained else f"{quote} [1]", abstained, [cit], [p],
                      {"retrieval_ms": 10.0 if self.good else 30.0, "total_ms": 20.0 if self.good else 50.0},
                      "extractive", "d")


def _run(tmp_path, name, good):
    """Write one run folder; return its metrics."""
    qf = tmp_path / "q.jsonl"
    qf.write_text("{}\n")
    pipe = FakePipeline(good)
    records = run_questions(pipe, QS, CORPUS, progress=False)
    meta = build_metrics(records, answerer="extractive", baseline=None if good else "bm25", settings_digest="d",
                         questions_file=qf, runtime_s=1.0)
    write_outputs(tmp_path / name, meta, records)
    return meta, pipe


def test_run_outputs_and_metrics_shape(tmp_path):
    meta, pipe = _run(tmp_path, "good", True)
    assert pipe.histories == [[], [], ["What is the levy?"]]  # follow-ups get their history
    assert {"schema", "primary", "overall", "by_type", "by_doc", "n", "answerer", "baseline", "settings_digest",
            "code_version", "questions_file", "questions_sha256", "created"} <= set(meta)
    o = meta["overall"]
    assert meta["primary"] == {"name": "qa_score", "value": 1.0, "definition": meta["primary"]["definition"]}
    assert o["page_recall@1"] == 1.0 and o["key_fact_recall"] == 1.0 and o["citation_precision"] == 1.0
    assert o["abstain_recall"] == 1.0 and o["false_abstain_rate"] == 0.0 and o["citation_validity"] == 1.0
    assert set(meta["by_type"]) == {"number", "unanswerable"} and set(meta["by_doc"]) == {"doc-a"}
    out = tmp_path / "good"
    rows = [json.loads(x) for x in (out / "answers.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q001", "q002", "q003"]
    assert {"question", "answer", "citations", "passages", "timings", "metrics"} <= set(rows[0])
    assert json.loads((out / "metrics.json").read_text())["schema"] == 1
    report = (out / "report.md").read_text()
    assert "qa_score = 1.000" in report and "by_type.png" in report
    assert (out / "by_type.png").stat().st_size > 1000 and (out / "latency.png").stat().st_size > 1000


def test_bad_run_scores_low(tmp_path):
    meta, _ = _run(tmp_path, "bad", False)
    o = meta["overall"]
    assert o["page_recall@5"] == 0.0 and o["false_abstain_rate"] == 1.0 and o["key_fact_recall"] == 0.0
    assert o["citation_recall"] == 0.0 and o["citation_precision"] is None  # abstentions cite nothing
    assert o["citation_validity"] == 1.0  # "p one" is on page 1: a valid, if useless, quote


def test_side_by_side_ratios(tmp_path, cli):
    _run(tmp_path, "good", True)
    _run(tmp_path, "bad", False)
    console = Console(record=True, width=200)
    console.print(compare_dirs([tmp_path / "good", tmp_path / "bad"]))
    text = console.export_text()
    assert "good (extractive)" in text and "bad (baseline:bm25)" in text
    assert "×0.00" in text  # page recall: bad / good
    assert "×2.50" in text  # total_ms_p50: 50 / 20
    res = cli("eval", "report", tmp_path / "good", tmp_path / "bad")
    assert res.exit_code == 0 and "ratio vs the first run" in res.output


def test_report_needs_two_runs_and_metrics(tmp_path, cli):
    _run(tmp_path, "good", True)
    assert cli("eval", "report", tmp_path / "good").exit_code == 2
    (tmp_path / "empty").mkdir()
    res = cli("eval", "report", tmp_path / "good", tmp_path / "empty")
    assert res.exit_code == 2 and "no metrics.json" in res.output


def test_threshold_keeps_false_abstentions_within_the_bound():
    """The chosen threshold abstains on at most the allowed share of answerable questions."""
    import numpy as np

    from evals.train import choose_threshold

    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.2, 0.1, 0.05, 0.02])
    answerable = np.array([True] * 10 + [False] * 2)
    t = choose_threshold(p, answerable, 0.10)
    assert (p[answerable] < t).mean() <= 0.10
    assert (p[~answerable] < t).all()
    assert choose_threshold(p, answerable, 0.0) <= p[answerable].min()


def test_training_refuses_test_split_questions(tmp_path):
    """Training on a row that the split rule holds out is an error, not a silent leak."""
    from evals.dataset import Question
    from evals.split import split_of
    from evals.train import collect
    from ingest.errors import CarbonQAError

    qid = next(f"x{i}" for i in range(100) if split_of(f"x{i}") == "test")
    q = Question(qid, "What is a VVB?", "definition", "a body", ("body",), ())
    with pytest.raises(CarbonQAError, match="test split"):
        collect(object(), [q], progress=False)


def test_a_run_asks_the_questions_as_users_type_them(tmp_path):
    """--typed lower asks in lower case without the mark, chatty with an opener; gold and history stay."""
    from evals.runner import evaluate
    from evals.typed import retype

    assert retype(QS[0], "lower").question == "what is the levy"
    assert retype(QS[0], "chatty").question == "Quick question, what is the levy?"
    assert retype(QS[2], "lower").history == ("What is the levy?",) and retype(QS[2], "lower").key_facts == ("10%",)
    with pytest.raises(ValueError, match="unknown typing"):
        retype(QS[0], "shouty")
    qf = tmp_path / "q.jsonl"
    qf.write_text("{}\n")
    asked = []
    pipe = FakePipeline(True)
    pipe.ask = lambda q, h, ask=pipe.ask: asked.append(q) or ask(q, h)
    meta, _ = evaluate(pipe, QS, CORPUS, questions_file=qf, settings_digest="d", progress=False, typed="lower")
    assert asked == ["what is the levy", "what is the fee for x", "and the levy again"]
    assert meta["typed"] == "lower" and meta["overall"]["key_fact_recall"] == 1.0


def test_an_unknown_typing_is_refused_before_anything_runs(tmp_path, cli):
    """`eval run --typed shouty` names the choices and writes no run folder."""
    qf = tmp_path / "q.jsonl"
    qf.write_text(json.dumps({"id": "q1", "question": "What is the levy?", "type": "unanswerable",
                              "answer": "-", "key_facts": [], "evidence": []}) + "\n")
    res = cli("eval", "run", "--questions", qf, "--typed", "shouty", "--out", tmp_path / "run")
    assert res.exit_code != 0 and "as-written, lower, chatty" in res.output
    assert not (tmp_path / "run").exists()
