"""Assistant helpers: in-force filtering, definition terms, quote selection (the last on the indexed corpus)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from assistant.answering.answer import Assistant
from assistant.answering.glossary import definition_term
from assistant.answering.phrasing import plain
from assistant.answering.question import analyse
from assistant.retrieval.hybrid import Filters
from ingest.manifest import DocumentEntry


def _entry(doc_id: str, date: str, supersedes=()) -> DocumentEntry:
    """A minimal manifest entry."""
    return DocumentEntry(id=doc_id, title=doc_id, issuer="x", category="ndc", jurisdictions=["Japan"],
                         date=date, supersedes=list(supersedes))


class _Search:
    """Just enough of HybridSearch for in_force_filter."""

    def __init__(self, docs):
        self.docs = docs

    def documents(self):
        """Ingested documents."""
        return {d: {"sha256": "x"} for d in self.docs}

    def resolve(self, filters):
        """No filter narrowing in this stub."""
        return None if filters is None else list(self.docs)


def _assistant(docs, entries) -> Assistant:
    """An Assistant without an index."""
    a = Assistant.__new__(Assistant)
    a.search, a.entries = _Search(docs), entries
    return a


def test_superseded_version_is_left_out_by_default_and_named_version_kept():
    """Answers come from the version in force; --doc naming the old one still works."""
    entries = [_entry("ndc-2021", "2021-10-22"), _entry("ndc-2025", "2025-02-18", ["ndc-2021"])]
    a = _assistant(["ndc-2021", "ndc-2025"], entries)
    assert a.in_force_filter(None, None).doc_ids == ["ndc-2025"]
    assert a.in_force_filter(None, dt.date(2023, 1, 1)).doc_ids == ["ndc-2021"]
    named = Filters(doc_ids=["ndc-2021"])
    assert a.in_force_filter(named, None) is named


def test_no_supersession_means_no_filter():
    """Without versions in play, retrieval is not narrowed."""
    a = _assistant(["a"], [_entry("a", "2020-01-01")])
    assert a.in_force_filter(None, None) is None


@pytest.mark.parametrize("question, term", [
    ("What's an ITMO?", "ITMO"),
    ("Could you tell me what a validation/verification body is?", "validation/verification body"),
    ("I'd like to know what a project proponent is.", "project proponent"),
    ("Can you explain what leakage means?", "leakage"),
    ("What is a crediting period, exactly?", "crediting period"),
    ("What is leakage in simple terms?", "leakage"),
    ("Briefly, what is additionality?", "additionality"),
    ("So, could you tell me what's a VCU?", "VCU"),
    ("Leakage: what is it?", "Leakage"),
    ("Co-benefits - what are they?", "Co-benefits"),
    ("Please explain the term leakage.", "leakage"),
    ("Could you explain leakage?", "leakage"),
    # the wrapping goes; what it wraps is still read as it was
    ("Could you tell me the registration fee?", ""),
    ("Could you tell me what the crediting period for ARR projects is?", ""),
    ("Tell me what permanence means.", "permanence"),
    ("What are removals, according to Verra?", "removals"),
])
def test_a_definition_question_in_conversational_words(question, term):
    """Users wrap "what is X" in requests, contractions and hedges; the term asked about is still found."""
    assert definition_term(question) == term
    assert analyse(question).definition == bool(term)


def test_plain_leaves_a_plain_question_alone():
    """Only the wrapping is taken off: a question without one comes back as it was."""
    for q in ("What is the registration fee for a VCS project?", "Who approves methodologies under the JCM?",
              "Must a VVB rotate its lead auditor?", "How does Verra define a project proponent?"):
        assert plain(q) == q
    assert plain("What's the deadline?") == "What is the deadline?"
    assert plain("And what were the targets in the 2015 NDC?") == "What were the targets in the 2015 NDC?"
    assert plain("Quick question: what share of emissions comes from power?") == "What share of emissions comes from power?"
    # a question typed without its mark gets one; a keyword query or an instruction does not
    assert plain("what is the ndc target of japan for 2040") == "What is the ndc target of japan for 2040?"
    assert plain("leakage definition") == "Leakage definition"
    assert plain("Explain leakage.") == "Explain leakage."
    # an opener that carries meaning stays
    assert plain("So far, how many countries have signed?") == "So far, how many countries have signed?"
    assert plain("Now that the CCTS is notified, who registers entities?").startswith("Now that")


def test_definition_term_extraction():
    """'What is X' and 'how does Y define X' find X; rule questions do not."""
    assert definition_term("What is a VVB?") == "VVB"
    assert definition_term("How does the CDM glossary define validation compared with Verra?") == "validation"
    assert definition_term("What is the definition of forest in the CDM glossary?") == "forest"
    assert definition_term("What is the crediting period for ARR projects?") == ""
    # Users ask what a term "means under" a programme, what "counts as" one, whether two "define it the same way".
    assert definition_term("What does regulatory surplus mean under the VCS Program?") == "regulatory surplus"
    assert definition_term("Who counts as a smallholder under Gold Standard's land-use rules?") == "smallholder"
    assert definition_term("Who is the RIT in the CDM and what does it do?") == "RIT"
    assert definition_term("Who is the chair of the Joint Committee?") == ""
    assert definition_term("Do Verra and the CDM define leakage the same way?") == "leakage"
    assert definition_term("What is meant by additionality in the CDM?") == "additionality"
    # "what does X cover" asks what the term takes in; a document "requiring" something is a rule question.
    assert definition_term("What does ARR cover under the VCS Program?") == "ARR"
    assert definition_term("What does the VCS Standard require for VCUs used under CORSIA?") == ""
    # "What does X <verb>?" names a term only when the verb is one of meaning: a short question made "VVB do" a term
    assert definition_term("What does leakage mean?") == "leakage"
    assert definition_term("What does NDC stand for in the synthesis report?") == "NDC"
    assert definition_term("What does a VVB do?") == "VVB"  # its role: what the glossary entry states
    for rule in ("What does Verra require?", "What does the MoC say about technology transfer?",
                 "What does Gold Standard call a project developer?"):
        assert definition_term(rule) == "", rule
    # a leading "In the VCS," or "According to the glossary,", "explain the term", "understand by", a final full stop
    assert definition_term("In the VCS, what is a project proponent?") == "project proponent"
    assert definition_term("According to the CDM glossary, what is a bundle?") == "bundle"
    assert definition_term("Explain the term crediting period.") == "crediting period"
    # the term before its verb, a regime as qualifier, an acronym's full form, retrieval's appended expansion
    assert definition_term("How is leakage defined in the CDM glossary?") == "leakage"
    assert definition_term("How is the term 'forest' defined?") == "forest"
    assert definition_term("Tell me what an ITMO is.") == "ITMO"
    assert definition_term("Tell me what an ITMO is. (Internationally Transferred Mitigation Outcomes)") == "ITMO"
    assert definition_term("What exactly is a corresponding adjustment?") == "corresponding adjustment"
    assert definition_term("What exactly is required at validation?") == ""
    assert definition_term("What is an ITMO under Article 6?") == "ITMO"
    assert definition_term("What is an obligated entity under the CCTS?") == "obligated entity"
    assert definition_term("What is the full form of NDC?") == "NDC"
    assert definition_term("How is the baseline calculated?") == ""
    assert definition_term("What do Verra's rules understand by a grouped project?") == "grouped project"
    assert definition_term("Define regulatory surplus.") == "regulatory surplus"
    assert definition_term("In 2023, what is the crediting period for ARR projects?") == ""
    # a possessive is no closing quote, and a quoted term may carry a qualifier
    assert definition_term("What is a project's implementation date under Gold Standard?") == "project implementation date"
    assert definition_term("What is the 'date of project inactivity' in Verra's rules?") == "date of project inactivity"
    assert definition_term("What is a ‘free-rider’ in Verra's terminology?") == "free-rider"
    assert definition_term("What is the project's crediting period for ARR projects?") == ""
    # "who is a X" and "who is considered a X" ask what the term takes in; "who is the X" and "who approves" do not
    assert definition_term("Who is a 'project participant' under the CDM?") == "project participant"
    assert definition_term("Who is considered a smallholder under Gold Standard?") == "smallholder"
    assert definition_term("Who is the project proponent?") == ""
    assert definition_term("Who approves methodologies under the JCM?") == ""


def test_every_definition_phrasing_is_a_definition_question():
    """The answer path leads with the glossary for each phrasing definition_term reads, not only 'What is X'."""
    for q in ("How does Verra define leakage?", "In the VCS, what is a project proponent?",
              "Explain the term crediting period."):
        assert analyse(q).definition, q
    assert not analyse("What is the registration fee under the VCS?").definition


def test_a_defined_term_that_names_a_cost_asks_its_meaning_not_a_sum():
    """"What is meant by levelised cost of electricity?" wants the definition; an attribute cue outside
    the term still counts, and a plain "What is the fee?" still asks for an amount."""
    assert definition_term("What is meant by levelised cost of electricity?") == "levelised cost of electricity"
    for q in ("What is meant by levelised cost of electricity?", "What does the term 'renewal fee' mean?",
              "Define transaction cost."):
        asked = analyse(q)
        assert asked.definition and asked.attribute == "" and asked.value == "", q
    assert analyse("What thresholds make up the CDM definition of forest?").value == "number"
    assert analyse("How is the issuance fee defined and how much is it?").value == "number"
    assert analyse("What is the registration fee?").value == "amount"


def test_how_much_of_a_quality_asks_for_no_figure():
    """"How much certainty…?" is answered by "a high, but not absolute, level": no figure is missing without one;
    "how much uncertainty", "how much time" and "how much money" still ask for a number."""
    for q in ("How much certainty is a CDM auditor's 'reasonable assurance' supposed to provide?",
              "How much discretion does the Board have over registration?"):
        assert analyse(q).value == "" and analyse(q).attribute == "", q
    for q in ("How much statistical uncertainty do Verra's rules tolerate?", "How much time does a VVB have?",
              "How much money did the green bonds raise?"):
        assert analyse(q).value == "number", q


def test_lead_and_quotes_merges_numbering_and_keeps_only_sentences_on_quoted_pages():
    """Quotes follow the LLM text: a source it cites keeps its number, a copied quote is not repeated,
    and an LLM sentence citing a page no quote is on is dropped."""
    from assistant.answering.compose import lead_and_quotes
    from assistant.models import Citation

    def c(n, page, quote):
        return Citation(n, "doc", "Doc", page, str(page), "1", quote, 0.9)

    fee, due, other = (c(1, 3, "The fee is USD 500 per request."), c(2, 4, "Payment is due within 30 days of the invoice."),
                       c(2, 9, "Fees are reviewed every year."))
    text, cits, off = lead_and_quotes("The fee is USD 500. [1] It is reviewed yearly. [2]", [fee, other], [fee, due])
    assert text == ("The fee is USD 500. [1]\n\nThe documents say: The fee is USD 500 per request. [1] "
                    "Payment is due within 30 days of the invoice. [2]")
    assert [(x.n, x.page) for x in cits] == [(1, 3), (2, 4)] and off == ["It is reviewed yearly. [2]"]
    copied, same, _ = lead_and_quotes("Payment is due within 30 days of the invoice. [1]", [replace(due, n=1)], [due])
    assert copied == "Payment is due within 30 days of the invoice. [1]" and [x.n for x in same] == [1]
    alone, _, off = lead_and_quotes("Fees are reviewed. [1]", [replace(other, n=1)], [fee])
    assert alone == "The fee is USD 500 per request. [1]" and off == ["Fees are reviewed. [1]"]


def test_a_sentence_that_restates_the_question_is_not_an_answer():
    """'Yes, X can do Y' over a quote is the model's guess; a sentence with the asked value is kept."""
    from assistant.answering.compose import lead_and_quotes, restates
    from assistant.models import Citation

    q = "Can Gold Standard certify only part of the reductions in a monitoring report?"
    assert restates("Yes, Gold Standard can certify only part of the reductions in a monitoring report. [1]", q)
    assert not restates("Certifying only part of the reductions is not allowed. [1]", q)
    rule = Citation(1, "gs", "GS", 7, "7", "1", "Certification of only part of the volume is not allowed.", 0.9)
    text, _, off = lead_and_quotes("Yes, Gold Standard can certify only part of the reductions. [1]", [rule], [rule], q)
    assert text == "Certification of only part of the volume is not allowed. [1]" and len(off) == 1


def test_a_comparison_keeps_its_side_by_side_layout_and_silences_under_the_lead():
    """With a layout, the quotes follow as the comparison wrote them (names, silences), renumbered after the lead."""
    from assistant.answering.compose import lead_and_quotes
    from assistant.models import Citation

    gs = Citation(1, "gs", "GS", 5, "5", "1", "Design certification is valid for five years.", 0.9)
    vcs = Citation(2, "vcs", "VCS", 8, "8", "1", "Validation shall be completed within two years.", 0.8)
    layout = f"Gold Standard: {gs.quote} [1] VCS: {vcs.quote} [2] CDM: none of the passages found states this."
    text, cits, _ = lead_and_quotes("Validation takes up to two years under the VCS. [1]", [replace(vcs, n=1)],
                                    [gs, vcs], "How do Gold Standard, VCS and CDM time validation?", layout=layout)
    assert text == ("Validation takes up to two years under the VCS. [1]\n\nThe documents say: Gold Standard: "
                    f"{gs.quote} [2] VCS: {vcs.quote} [1] CDM: none of the passages found states this.")
    assert [(c.doc_id, c.n) for c in cits] == [("vcs", 1), ("gs", 2)]


def test_a_definition_question_drops_the_other_entries_of_its_glossary_page():
    from assistant.answering.definitions import Definition, DefinitionIndex
    from assistant.answering.glossary import Glossary
    from assistant.answering.quotes import Sentence
    from assistant.models import Passage

    doc = "verra-definitions"
    defs = [Definition("Free-rider", "An activity that is undertaken without any intervention", doc, "Defs", 10, "2",
                       "list", ["free-rider"]),
            Definition("Forced Labor", "Any work for which someone has not offered himself. More words.", doc, "Defs",
                       10, "2", "list", ["forced labor"])]
    g = Glossary(search=None)
    g._cache = lambda: (1, DefinitionIndex(defs, {}), {})
    page = Passage(id="c1", doc_id=doc, title="Defs", text="", page_start=10, page_end=10, page_label="",
                   section="2", score=1.0)

    def sent(text):
        return Sentence(text, 10, "", "2", page, 0)

    free = sent("Free-rider An activity that is undertaken without any intervention")
    labor, rest = sent("Forced Labor Any work for which someone has not offered himself."), sent("More words.")
    prose = sent("Free-riders shall be excluded by the methodology.")
    scored = [(0.3, labor), (0.2, free), (0.1, rest), (0.05, prose)]
    assert [x for _, x in g.on_term("What is a free-rider?", scored)] == [free, prose]
    # a term no glossary defines, or a question that asks no definition, keeps everything
    assert g.on_term("What is a carbon widget?", scored) == scored
    assert g.on_term("Who approves methodologies?", scored) == scored


def test_a_count_question_needs_a_number_on_what_it_counts():
    """'How many members' is answered by 'seven members', not by 'within 30 days' or a modifier's number."""
    from assistant.answering.counted import counted, puts_number_on
    from assistant.answering.question import analyse, states_value

    assert counted("How many members sit on the Verra Board?") == ("member",)
    assert counted("How many NDCs and Parties does the synthesis report cover?") == ("ndc", "party")
    assert counted("How many gigawatts of nuclear capacity does India aim for?") == ("gigawatt", "gw")
    assert counted("What fee applies?") == ()
    board = analyse("How many members sit on the Verra Board?")
    assert board.counted == ("member",)
    assert not states_value("Verra shall respond within 30 days.", board)
    assert states_value("The Board has seven members.", board)
    renewals = counted("How many Design Certification Renewals can a project get?")
    assert puts_number_on("A Project is limited to one Renewal (i.e. maximum 10 years certification).", renewals)
    assert not puts_number_on("A five - year Design Certification Renewal cycle applies to all projects.", renewals)
    assert puts_number_on("This report covers the 168 latest available NDCs.", ("ndc",))
    assert puts_number_on("All NDCs cover CO2, while 91 per cent cover CH4.", ("ndc",))  # a share of them
    # a clause number is no count (states_value strips references first)
    assert not states_value("Section 4.2 of the NDC guidance applies.", analyse("How many NDCs cover methane?"))
    # a question that counts nothing in particular keeps the plain number test
    assert states_value("The levy is 0.20 per VCU.", analyse("What is the levy per VCU?"))


def test_a_fee_is_stated_next_to_its_name():
    """'What fee does Gold Standard charge?' is not answered by a share of credits sent to the buffer."""
    from assistant.answering.question import analyse, states_value

    fee = analyse("What registration or issuance fee per GSVER does Gold Standard charge?")
    assert not states_value("20% of the PERs are issued to the Gold Standard Buffer, the remaining 80% are issued "
                            "to the Project Developers", fee)
    assert states_value("The registration fee is USD 0.10 per GSVER issued.", fee)
    far = "The registration fee is set out in the fee schedule, which Gold Standard publishes on its website and " \
          "revises from time to time for all projects; projects above 10,000 tCO2 a year are reviewed first."
    assert not states_value(far, fee)  # the amount is a project size, ten words past the fee


def test_when_a_quoted_term_applies_or_which_date_counts_is_no_calendar_date():
    """'When is generation "grid-connected"?' asks a condition; 'When was the MoC signed?' a date."""
    from assistant.answering.question import analyse

    assert analyse("When is electricity generation 'grid-connected' for Verra's purposes?").value == ""
    assert analyse("Which date counts as the PoA's start date?").value == ""
    assert analyse("When was the MoC signed?").value == "date"
    assert analyse("Which date did India sign the MoC?").value == "date"


def test_a_term_column_definition_is_quoted_with_its_term_where_the_page_prints_both():
    """'PDD (project design document) The document prepared …' shows what is defined; else the definition alone."""
    from types import SimpleNamespace

    from assistant.answering.definitions import Definition, DefinitionIndex
    from assistant.answering.glossary import Glossary

    doc = "cdm-glossary"
    pdd = Definition("PDD (project design document)", "The document prepared by the project participant.", doc,
                     "Glossary", 3, "", "table", ["pdd", "project design document"])
    boe = Definition("Baseline", "The scenario without the project.", doc, "Glossary", 3, "", "colon", ["baseline"])
    page = ("Term Definition PDD (project design document) The document prepared by the project participant. "
            "Baseline: The scenario without the project.")
    g = Glossary(search=SimpleNamespace(documents=lambda: {doc: {"version": "v11"}}))
    g._cache = lambda: (1, DefinitionIndex([pdd, boe], {}), {(doc, 3): page})
    assert [p.text for p in g.passages("What is a PDD?", None)] == [
        "PDD (project design document) The document prepared by the project participant."]
    # "Baseline The scenario…" is not on the page (a colon stands between): the definition alone is quoted
    assert [p.text for p in g.passages("What is a baseline?", None)] == ["The scenario without the project."]


def test_a_list_or_procedure_question_is_told_apart():
    """Steps, lists and 'how do we …' ask for several sentences; definitions and values do not."""
    assert analyse("What are the steps to register an ITMO project in Vanuatu?").steps
    assert analyse("We have appointed a consultancy. How do we end that appointment?").steps
    assert analyse("What must a Gold Standard project do after a loss event?").steps
    assert not analyse("What does ARR cover under the VCS Program?").steps
    assert not analyse("What is the registration fee for a VCS project?").steps


@pytest.mark.slow
def test_a_procedure_answer_quotes_more_of_its_page(indexed_settings):
    """Seven sentences of the best page down to a tenth of its P for steps; five down to a fifth otherwise."""
    import json

    import numpy as np

    from assistant.answering.quotes import sentences
    from assistant.models import Passage

    a = Assistant(indexed_settings)
    turn = a.retrieve_and_score(a.prepare("How do we request issuance of VCUs?"))
    text = ("The proponent uploads the monitoring report to the registry. The verifier signs its verification "
            "statement. Verra reviews the completeness of every document. Fees are invoiced by the registry team. "
            "Issuance follows once all invoices are settled. Serial numbers identify each unit separately. "
            "Buffer credits are deposited into the pooled account. Owners may then retire their units publicly. "
            "Records remain visible on the public website.")
    page = Passage("synthetic", "verra-registration-and-issuance-process-v4.6-2024", "Registration and Issuance",
                   text, 12, 12, "", "4 Issuance", 1.0, page_marks=json.dumps([[0, 12, ""]]))
    ps = [0.9, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1]
    scored = list(zip(ps, sentences(page)))
    ev = replace(turn.evidence, scored=scored, support=0.99, lacks_value=False, unknown=[], closest=0.9,
                 sentence_p=np.array(ps), compared=False, unindexed=[])
    assert ev.asked.steps
    turn.evidence = ev
    # the chosen sentences run on one after another, so they read as one quote (joining.bridged), and the
    # last reads on one sentence of its clause (joining.with_next)
    assert indexed_settings.steps_answer_sentences == 7 and indexed_settings.max_answer_sentences == 5
    assert [c.quote for c in a.respond(turn).citations] == [" ".join(x.text for _, x in scored[:7 + 1])]
    turn.evidence = replace(ev, asked=replace(ev.asked, steps=False))
    assert [c.quote for c in a.respond(turn).citations] == [" ".join(x.text for _, x in scored[:5 + 1])]
