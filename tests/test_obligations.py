"""The obligations register on a small generated corpus: build, cache, filters, errors, CLI, diff, matching."""
from __future__ import annotations

import csv
import json

import pytest
import yaml

RULES = """Omega Carbon Standard

1 Scope
These rules apply to all projects registered under the Omega programme.
2 Project Requirements
2.1 Monitoring
2.1.1 The project proponent shall submit the monitoring report to Omega within 30 days of the end of the monitoring period.
2.1.2 The validation/verification body must verify the monitoring report before the first issuance.
2.1.3 Where the project is grouped, the project proponent shall update the project description every five years.
2.2 Buffer
2.2.1 Buffer credits shall not be released more than once every five years.
2.2.2 The project proponent may request a review of the risk rating, in accordance with Section 2.1.1.
2.2.3 Emissions may increase where the grid expands.
2.2.4 The project proponent shall provide the following:
a) a map of the project area;
b) the start date of the project.
"""

ESSAY = ["Background", "Carbon markets have grown quickly in the last decade across many regions.",
         "Prices vary between registries and over time."]
V1 = "Omega Cookstoves\n\n1 Eligibility\n1.1 Projects shall use stoves with a thermal efficiency of at least 25 percent.\n" \
     "1.2 The project proponent shall survey stove use annually.\n"
V2 = "Omega Cookstoves\n\n1 Eligibility\n1.1 Projects shall use stoves with a thermal efficiency of at least 30 percent.\n" \
     "1.3 The project proponent shall report monitoring results every two years.\n"
DOC = "omega-standard"


def _pdf(path, lines) -> None:
    """A one-page PDF with the given lines (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for i, line in enumerate(lines):
        c.drawString(72, 800 - 20 * i, line)
    c.save()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Settings of a temp index: a rulebook, an essay PDF without obligations, two versions of one document."""
    from ingest.pipeline import ingest
    from ingest.settings import get_settings

    root = tmp_path_factory.mktemp("obligations")
    (root / "omega.txt").write_text(RULES, encoding="utf-8")
    (root / "cook-v1.txt").write_text(V1, encoding="utf-8")
    (root / "cook-v2.txt").write_text(V2, encoding="utf-8")
    _pdf(root / "essay.pdf", ESSAY)

    def entry(doc_id, file, title, **kw):
        return {"id": doc_id, "title": title, "issuer": "Verra-like Test Registry", "category": "standard",
                "jurisdictions": ["global"], "file": file, **kw}

    docs = [entry(DOC, "omega.txt", "Omega Carbon Standard", version="1.0"),
            entry("essay", "essay.pdf", "Market Essay"),
            entry("cook-v1", "cook-v1.txt", "Omega Cookstoves", version="1.0", date="2020-01-01"),
            entry("cook-v2", "cook-v2.txt", "Omega Cookstoves", version="2.0", date="2023-01-01",
                  supersedes=["cook-v1"])]
    (root / "manifest.yaml").write_text(yaml.safe_dump({"documents": docs}), encoding="utf-8")
    settings = get_settings(data_dir=root / "data", corpus_dir=root, manifest=root / "manifest.yaml")
    report = ingest(settings)
    assert not report.failed, [r.error for r in report.failed]
    return settings


@pytest.fixture(scope="module")
def register(small):
    """The register of the small index."""
    from assistant.compliance.obligations import ObligationRegister
    from ingest.store import Store

    return ObligationRegister.build(Store(small), small)


@pytest.fixture
def env(small, monkeypatch):
    """Point the CLI at the small index."""
    for k, v in {"CARBONQA_DATA_DIR": small.data_dir, "CARBONQA_CORPUS_DIR": small.corpus_dir,
                 "CARBONQA_MANIFEST": small.manifest_path}.items():
        monkeypatch.setenv(k, str(v))
    return small


def _by_start(register, start):
    """The obligation whose quote starts with `start`."""
    return next(o for o in register.obligations if o.quote.startswith(start))


def test_build_parts_and_verified_quotes(register, small):
    """Every obligation is cited to a page, verified, and parsed into its parts; the cache is per index version."""
    from ingest.store import Store

    omega = [o for o in register.obligations if o.doc_id == DOC]
    assert all(o.verified and o.page == 1 and o.version == "1.0" for o in omega)
    first = _by_start(register, "2.1.1")
    assert (first.modality, first.actor, first.deadline) == ("duty", "project proponent",
                                                             "within 30 days of the end of the monitoring period")
    assert first.section.endswith("2.1.1")
    vvb = _by_start(register, "2.1.2")
    assert (vvb.actor, vvb.deadline) == ("VVB", "before the first issuance")
    grouped = _by_start(register, "2.1.3")
    assert grouped.condition == "Where the project is grouped" and grouped.deadline == "every five years"
    assert _by_start(register, "2.2.1").modality == "prohibition"
    review = _by_start(register, "2.2.2")
    assert review.modality == "permission"
    ref = review.crossrefs[0]
    assert ref["doc_id"] == DOC and ref["section"] == "2.1.1" and ref["resolved"] and ref["section_path"].endswith("2.1.1")
    assert not any("Emissions may increase" in o.quote for o in register.obligations)
    cache = list((small.data_dir / "obligations").glob("*.json"))
    assert len(cache) == 1 and cache[0].name.startswith(Store(small).index_version())


def test_list_items_each_carry_the_lead_in(register):
    """'shall provide the following:' yields one obligation per item, each with the lead-in."""
    items = [o for o in register.obligations if o.lead_in.startswith("2.2.4")]
    assert [o.quote for o in items] == ["a) a map of the project area;", "b) the start date of the project."]
    assert all(o.modality == "duty" and o.actor == "project proponent" for o in items)


def test_empty_document_has_a_note(register):
    """A PDF without normative sentences: no obligations, a note, no error."""
    from assistant.compliance.query import ObligationQuery, query

    res = query(register, ObligationQuery(doc_ids=["essay"]))
    assert res.obligations == [] and "no normative sentences" in res.notes["essay"]


def test_filters_and_bad_input(register):
    """Actor, modality and document filters; unknown values list the valid ones."""
    from assistant.compliance.query import ObligationQuery, query
    from ingest.errors import CarbonQAError

    res = query(register, ObligationQuery(doc_ids=[DOC], actor="vvb"))
    assert [o.quote[:5] for o in res.obligations] == ["2.1.2"]
    res = query(register, ObligationQuery(modality="prohibition"))
    assert {o.quote[:5] for o in res.obligations} == {"2.2.1"}
    with pytest.raises(CarbonQAError, match="valid ids: cook-v1, cook-v2, essay, omega-standard"):
        query(register, ObligationQuery(doc_ids=["nope"]))
    with pytest.raises(CarbonQAError, match="unknown actor 'wizard'.*valid actors: .*VVB"):
        query(register, ObligationQuery(actor="wizard"))
    with pytest.raises(CarbonQAError, match="valid: duty, prohibition, permission, recommendation"):
        query(register, ObligationQuery(modality="must"))


def test_topic_ranks_matching_obligations(register):
    """A topic keeps the obligations about it, best first (lexical side; the CLI adds the passage search)."""
    from assistant.compliance.query import ObligationQuery, query

    res = query(register, ObligationQuery(topic="buffer credits released"))
    assert res.obligations and res.obligations[0].quote.startswith("2.2.1")


def test_matching_obligations_for_answers(register):
    """A question about what the VVB must do finds the VVB's duty, with a ready citation."""
    from assistant.compliance.query import matching_obligations

    got = matching_obligations("What must the VVB do before the first issuance?", register, k=3)
    assert got[0].obligation.quote.startswith("2.1.2")
    cit = got[0].obligation.citation(1, got[0].score)
    assert cit.doc_id == DOC and cit.page == 1 and cit.quote == got[0].obligation.quote
    assert matching_obligations("monitoring report", register, doc_ids=["cook-v1"]) == [] or all(
        m.obligation.doc_id == "cook-v1" for m in matching_obligations("monitoring report", register, ["cook-v1"]))


def test_diff_obligations(register):
    """Between versions: the changed threshold, the added reporting duty, the removed survey duty."""
    from assistant.compliance.query import diff_obligations

    kinds = {(c.kind, (c.new or c.old).quote[:3]) for c in diff_obligations(register, "cook-v1", "cook-v2")}
    assert kinds == {("changed", "1.1"), ("added", "1.3"), ("removed", "1.2")}


def test_cli_json_csv_and_errors(env, cli, tmp_path):
    """`carbonqa obligations` as JSON and CSV; bad input exits 2 naming the valid values; diff has a view."""
    out = cli("obligations", "--doc", DOC, "--json", "--csv", tmp_path / "o.csv")
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert data["count"] == len(data["obligations"]) >= 6
    assert all(o["verified"] and o["page"] == 1 for o in data["obligations"])
    rows = list(csv.DictReader((tmp_path / "o.csv").open(encoding="utf-8")))
    assert len(rows) == data["count"] and rows[0]["doc_id"] == DOC
    out = cli("obligations", "--doc", "nope")
    assert out.exit_code == 2 and "valid ids" in out.output
    out = cli("obligations", "--actor", "wizard")
    assert out.exit_code == 2 and "valid actors" in out.output
    out = cli("obligations", "--doc", "essay")
    assert out.exit_code == 0 and "no normative sentences" in out.output
    out = cli("obligations", "--as-of", "2021-06-01", "--json")
    docs = {o["doc_id"] for o in json.loads(out.output)["obligations"]}
    assert "cook-v1" in docs and "cook-v2" not in docs
    out = cli("diff", "cook-v1", "cook-v2", "--obligations")
    assert out.exit_code == 0 and "1 changed, 1 added, 1 removed" in out.output


def test_gold_set_shape():
    """The gold set: ≥ 200 sentences, ≥ 5 documents, every stratum present, labels consistent."""
    from evals.obligations_eval import evaluate, load_gold

    rows = load_gold()
    assert len(rows) >= 200 and len({r["doc"] for r in rows}) >= 5
    assert {"none", "means", "may", "neg", "should", "duty"} <= {r["stratum"] for r in rows}
    assert all((r["modality"] is None) != r["is_obligation"] for r in rows)
    assert all(r["deadline"] in r["quote"] for r in rows if r["deadline"])
    res = evaluate(rows)["splits"]["test"]
    assert res["detection_precision"] >= 0.95 and res["detection_recall"] >= 0.90
    assert res["modality_accuracy"] >= 0.95 and res["actor_accuracy"] >= 0.85


def test_ask_shows_matching_register_rows_for_a_question_about_a_duty(env, cli):
    """`ask --json`: "what must the VVB do" carries the VVB's duty from the register; a plain question none."""
    out = cli("ask", "What must the validation/verification body do before the first issuance?", "--json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["obligations"]
    assert rows and rows[0]["quote"].startswith("2.1.2") and rows[0]["actor"] == "VVB"
    assert rows[0]["modality"] == "duty" and rows[0]["doc_id"] == DOC and rows[0]["page"] == 1
    assert all(r["score"] >= 0.8 for r in rows)
    out = cli("ask", "What do carbon market prices vary between?", "--json")
    assert out.exit_code == 0 and json.loads(out.output)["obligations"] == []


def test_register_evidence_is_limited_to_the_answers_documents_and_built_only_when_asked(register):
    from assistant.compliance.evidence import obligations_for
    from assistant.models import Answer, Passage

    def answer(question: str, docs: list[str]) -> Answer:
        passages = [Passage(f"p{i}", d, d, "", 1, 1, "1", "", 1.0) for i, d in enumerate(docs)]
        return Answer(question, "", False, [], passages, {}, "extractive", "")

    calls = []

    def get():
        calls.append(1)
        return register

    assert obligations_for(answer("What is the Omega programme?", [DOC]), get) == [] and not calls
    got = obligations_for(answer("Which obligations does the project proponent have for the monitoring report?",
                                 [DOC]), get)
    assert calls and got and all(r["doc_id"] == DOC for r in got)
    assert obligations_for(answer("Which obligations does the project proponent have for the monitoring report?",
                                  ["cook-v1"]), get) == [], "rows come only from the documents the answer retrieved"


def test_sources_panel_and_evidence_pack_list_register_rows():
    from assistant.ui.evidence import evidence_pack, pack_markdown
    from assistant.ui.render import sources_html
    from ingest.settings import Settings

    row = {"doc_id": DOC, "title": "Omega <Standard>", "version": "", "page": 1, "page_label": "", "section": "2.1",
           "quote": "2.1.2 The VVB must verify the monitoring report before the first issuance.", "lead_in": "",
           "modality": "duty", "actor": "VVB", "actor_surface": "The VVB", "deadline": "before the first issuance",
           "condition": None, "crossrefs": [], "score": 1.1}
    ans = {"question": "What must the VVB do?", "answer": "x", "abstained": False, "citations": [], "passages": [],
           "obligations": [row]}
    html = sources_html(ans, {DOC}, {})
    assert "In the obligations register (1)" in html and "before the first issuance" in html
    assert "Omega &lt;Standard&gt;" in html and "#page=1" in html
    assert sources_html({**ans, "obligations": []}, {DOC}, {}).count("obligations register") == 0
    md = pack_markdown(evidence_pack(ans, {}, Settings()))
    assert "## In the obligations register" in md and "| duty | VVB | before the first issuance |" in md
