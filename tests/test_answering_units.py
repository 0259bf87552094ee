"""Evidence scoring without an index: question analysis, value detection, selection, compression, abstention."""
from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answering.abstain import ABSTAIN_TEXT, abstain_text, searched_text
from assistant.answering.answerability import Model, load
from assistant.answering.compress import evidence_passages
from assistant.answering.features import FEATURES, Q_FEATURES, Candidate, pair_features, question_features
from assistant.answering.question import analyse, has_value, names_attribute, states_value, unknown_names
from assistant.answering.quotes import chart_data, quotable, title_echo
from assistant.answering.scoring import Scorer, glossary_first, select, with_value_neighbour
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.neighbours import run_on
from assistant.models import Citation, Passage
from assistant.answering.lists import extend_lead_in, read_list
from assistant.answering.joining import distinct, with_follow_on
from assistant.answering.quotes import sentences, span


def _passage(text: str, pid: str = "p1", doc: str = "doc-a", page: int = 3) -> Passage:
    """A one-page passage."""
    return Passage(pid, doc, "Doc A", text, page, page, "", "2 Fees", 1.0,
                   page_marks=json.dumps([[0, page, ""]]))


@pytest.mark.parametrize("question, attribute, value", [
    ("What is the registration fee for a VCS project?", "fee", "amount"),
    ("Who approves methodologies under the JCM?", "body", "actor"),
    ("What share of India's emissions comes from power?", "percent", "percent"),
    ("Within how many days must the VVB respond?", "deadline", "duration"),
    ("When was the MoC signed?", "date", "date"),
    ("When and by which ministry were the CCTS regulations notified?", "date", "date"),
    # "when" opening a clause is a condition, not the question word
    ("When we list the alternatives, which scenarios must the list include?", "", ""),
    ("Does the auditor always have to visit the site when validating a project?", "", ""),
    ("How many countries have signed JCM partnerships?", "count", "number"),
    ("What is a VVB?", "", ""),
    ("How often must a VVB visit the project site?", "frequency", "duration"),
    ("What quorum does the Joint Committee need?", "count", "number"),
    ("What is the official combined margin grid emission factor for India?", "amount", "number"),
    # A condition, a kind of sanction and a method are not a date, a sum or a fee.
    ("When is a proposed activity treated as common practice?", "", ""),
    ("When can Verra deny a registration request?", "", ""),
    ("When may a project renew its crediting period?", "", ""),
    # "who counts as a X" asks for a definition, not a body; "who is the X" still asks who
    ("Who counts as an authorized signatory in the CDM?", "", ""),
    ("Who is a 'project participant' under the CDM versus Gold Standard?", "", ""),
    ("Who is the chair of the Joint Committee?", "body", "actor"),
    # "who is the RIT" (an acronym) asks what the named body is: its definition
    ("Who is the RIT in the CDM and what does it do?", "", ""),
    # the countries that cite a yardstick are not the answer; the countries a scheme covers are
    ("What yardsticks do countries cite to argue their NDC is fair?", "", ""),
    ("Which two countries signed the Memorandum of Cooperation?", "country", "country"),
    # "when must" and "when does … need" ask for a stage or a condition, not a calendar date
    ("When must a VVB conduct a site visit under the VCS?", "", ""),
    ("When does a VCS performance method need more than one benchmark?", "", ""),
    ("When did Japan launch the JCM?", "date", "date"),
    ("What sanctions can Verra apply to a VVB?", "penalty", ""),
    ("What monetary penalty applies to double use?", "penalty", "amount"),
    ("Which applies: simple cost analysis or benchmark analysis?", "", ""),
    ("How does a developer choose between the simple cost, investment comparison and benchmark approaches?", "", ""),
    ("What does registration cost under the VCS?", "fee", "amount"),
    ("What is the cost of issuance per VCU?", "fee", "amount"),
    # a quantity per unit, or a measured noun after "what is the", asks for a number; defined terms do not
    ("What is the per-hectare forest carbon stock of Assam?", "amount", "number"),
    ("What is the installed capacity of the project?", "amount", "number"),
    ("What is the project area?", "", ""),
    # Late nouns and distances still ask for a value; a defined date term does not.
    ("What total global GHG emission level in 2035 would the NDCs imply?", "amount", "number"),
    ("What is the cut-off date for NDCs in the next synthesis report?", "date", "date"),
    ("What is the project start date under the CDM?", "", ""),
    ("At what percentile must the performance benchmark be set?", "percent", "percent"),
    ("How far from the project area may a leakage belt extend?", "amount", "number"),
    ("How far back can a project claim retroactive credits?", "duration", "duration"),
    ("Which Indian ministry approves JCM projects?", "body", "actor"),
    ("From which vintage year onwards must ITMOs be generated?", "date", "date"),
    ("How quickly must Gold Standard check host-country reports?", "deadline", "duration"),
    ("What look-back period does Verra treat as the default?", "duration", "duration"),
    ("What listing deadlines apply to AFOLU projects?", "deadline", "duration"),
    ("Which countries were party to the first agreements?", "country", "country"),
    # asking what a thing contains or must meet: the answer names its contents, no value needed
    ("What information must the loss event notification contain?", "contents", ""),
    ("What qualifications must the independent expert have?", "contents", ""),
    ("What must the cover letter include?", "contents", ""),
    # a relative "who" is no question about a body; "within how many" asks for a time only with a time unit
    ("What is a DOE, and who designates it?", "body", "actor"),
    ("What qualifications must the expert have who substantiates the premium?", "contents", ""),
    ("Within how many days must Verra respond?", "deadline", "duration"),
    ("Within how many centimetres of the surface must the water table rise?", "count", "number"),
    # "at a minimum" means "at least these things", not a minimum value
    ("What must we tell the community at a minimum?", "", ""),
    ("What is the minimum crown cover?", "amount", "number"),
])
def test_analyse_finds_the_asked_attribute(question, attribute, value):
    """Each question names what it wants: the attribute and the kind of value that answers it."""
    a = analyse(question)
    assert (a.attribute, a.value) == (attribute, value)
    assert "how" not in a.terms and "many" not in a.terms


def test_definition_and_list_questions():
    """'What is X' is a definition question; 'what are the steps' is a list, not a definition."""
    assert analyse("What is a VVB?").definition
    steps = analyse("What are the steps to register a project?")
    assert steps.listing and not steps.definition


@pytest.mark.parametrize("text, value, expected", [
    ("The registration fee is USD 0.10 per VCU.", "amount", True),
    ("The registration review fee shall be paid before Verra processes a registration.", "amount", False),
    ("In accordance with Section 3.2.4 the proponent shall pay the fee.", "number", False),
    ("Step 2 of TOOL01 applies.", "number", False),
    ("The VVB shall respond within 30 days of the request.", "duration", True),
    ("More than 50% of India's GHG emissions come from the power sector.", "percent", True),
    ("The MoC was signed in August 2025.", "date", True),
    ("The Joint Committee approves methodologies.", "actor", True),
    ("The CO2 emission factor of biofuels is zero.", "number", True),
    ("Verification shall take place twice a year.", "duration", True),
    ("Data from the most recent three consecutive years is the default period.", "duration", True),
    # A change log's date is not a fee; a count beside a date still counts.
    ("v4.6 16 October 2024 Updated to include the verification review fee (Section 4.3.1).", "amount", False),
    ("A total of 168 NDCs were submitted by 25 September 2023.", "number", True),
    ("Approved programs are reviewed periodically.", "duration", False),
    # An acronym names a body only when it is one: "GHG" and "ARR" decide nothing.
    ("The VVBs shall conduct a site visit.", "actor", True),
    ("Eligible ARR projects reduce GHG emissions.", "actor", False),
])
def test_value_detection_ignores_clause_numbers(text, value, expected):
    """A clause, tool or version number is not a quantity; an amount, a share or a duration is."""
    assert has_value(text, value) is expected


def test_a_question_that_starts_with_who_asks_for_a_body_whatever_fee_it_names():
    """'Who pays the mediator?' wants the payer, not a sum; 'What is the fee, and who pays it?' wants the sum."""
    assert (analyse("Who has to pay the mediator?").attribute, analyse("Who has to pay the mediator?").value) == (
        "payer", "actor")
    assert analyse("Who bears the cost of the buffer pool contribution?").attribute == "payer"
    assert analyse("Who bears responsibility for monitoring?").attribute == "body"
    assert analyse("Which ISO standards apply, and who has to meet each of them?").attribute == "body"
    assert analyse("What is the fee, and who pays it?").attribute == "fee"


def test_who_pays_is_answered_by_a_sentence_that_names_the_paying_and_the_payer():
    """A sentence naming a body that appoints the mediator does not say who pays; a project proponent
    (a party, not a board) named next to "shall pay" does."""
    a = analyse("Who pays the mediator?")
    assert states_value("The project proponent shall pay the costs of the mediator.", a)
    assert states_value("The mediator is appointed by Gold Standard and paid from the registration fee.", a)
    assert not states_value("The Article 6 Secretariat may appoint external consultants as mediators.", a)
    assert not states_value("The fee is USD 500 and is payable within 30 days.", a)  # no payer named


def test_a_number_the_question_gives_is_not_the_value_it_asks_for():
    """'How much … in FY2022-23?' is not answered by a sentence whose only number is 2022-23."""
    a = analyse("How much did the RBI calendar provide for green bond issuance in FY2022-23?")
    assert a.given == ("2022", "23")
    assert not has_value("The RBI notified the calendar for the fiscal year 2022-23.", a.value, a.given)
    assert has_value("Two auctions of ₹8,000 crore each, totalling ₹16,000 crore.", a.value, a.given)
    # Digits glued to a name (CO2, TOOL07) are not given numbers: '2 years' still states one.
    assert analyse("How long do CO2 projects under TOOL07 last?").given == ()


def test_names_attribute():
    """A fee question's attribute is named by 'fee' or 'charge', not by the subject words."""
    a = analyse("What is the registration fee for a VCS project?")
    assert names_attribute("A registration charge applies.", a)
    assert not names_attribute("Projects register with Verra.", a)
    contents = analyse("What information must the loss event report contain?")
    assert names_attribute("The loss event report shall include the following information:", contents)
    assert not names_attribute("The proponent shall submit a loss event report within 30 days.", contents)


def test_pair_features_shape_and_value_interaction():
    """One row per candidate; the sentence that states an amount scores the value features, the other not."""
    p = _passage("The registration fee shall be paid before review. The registration fee is USD 500 per project.")
    sents = sentences(p)
    a = analyse("What is the registration fee?")
    cands = [Candidate(s, 0, dense=0.5, align_weakest=w) for s, w in zip(sents, (0.3, 0.6))]
    X = pair_features(a, cands, {"registration": 2.0, "fee": 3.0}, 0.0, set())
    assert X.shape == (2, len(FEATURES))
    col = FEATURES.index("attr_value")
    assert X[0, col] == 0.0 and X[1, col] == 1.0
    q = question_features(X, np.array([0.1, 0.9]))
    assert q.shape == (len(Q_FEATURES),) and q[0] == pytest.approx(0.9)
    named = dict(zip(Q_FEATURES, q))
    assert named["attr_asked"] == 1.0 and named["top3_logit"] == pytest.approx(0.5)  # mean of the (two) best
    assert named["top3_align_weakest"] == pytest.approx(0.6)  # the best of the top sentences' weakest match
    three = question_features(np.vstack([X, X[:1]]), np.array([0.1, 0.9, -5.0]))
    assert dict(zip(Q_FEATURES, three))["top3_align_weakest"] == pytest.approx(0.6)
    assert named["polar"] == 0.0  # "What is…" is no yes/no question; "Must we pay…?" is
    yes_no = pair_features(analyse("Must we pay the registration fee again?"), cands, {"fee": 3.0}, 0.0, set())
    assert dict(zip(Q_FEATURES, question_features(yes_no, np.array([0.1, 0.9]))))["polar"] == 1.0
    assert dict(zip(Q_FEATURES, question_features(X[:0], np.zeros(0))))["top3_logit"] == -10.0


def test_a_sentence_that_defines_in_any_common_wording_is_definitional():
    """"ACE denotes…", "…is defined as…", "…stands for…" define; "The fee shall be paid" does not."""
    p = _passage("ACE denotes work under Article 12 of the Paris Agreement. Low-emission energy is defined as "
                 "renewables and nuclear power. CIW stands for Conservation of Intact Wetlands. "
                 "The fee shall be paid before review.")
    X = pair_features(analyse("What does ACE mean?"), [Candidate(s, 0) for s in sentences(p)], {"ace": 3.0}, 0.0,
                      set())
    assert list(X[:, FEATURES.index("definitional")]) == [1.0, 1.0, 1.0, 0.0]


class _FlatEmbedder:
    """Every text gets the same vector: only the lexical pre-score orders the candidates."""

    dim = 4
    name = "all-MiniLM-L6-v2"  # the word-piece table the aligner reads

    def embed(self, texts, batch_size=32):
        """One constant vector per text."""
        return np.ones((len(texts), self.dim), np.float32)

    def embed_spans(self, texts, spans):
        """One constant vector per span."""
        return None, [np.ones((len(s), self.dim), np.float32) for s in spans]


def test_a_comparison_judges_a_sentence_of_every_instrument_it_names():
    """Each named instrument keeps candidates through both cuts; each candidate gets its weakest word-piece match."""
    loud = _passage(" ".join(f"The registration fee for projects is charged at stage {i}." for i in range(12)),
                    "a", "doc-a")
    quiet = _passage("Each project pays what the schedule of charges sets out.", "b", "doc-b")
    asked = analyse("What is the registration fee for projects?")
    scorer = Scorer(_FlatEmbedder(), {}, max_embedded=4, late_pool=6)
    plain = scorer.candidates(asked, asked.text, [loud, quiet])
    assert {c.sentence.passage.doc_id for c in plain} == {"doc-a"}
    both = scorer.candidates(asked, asked.text, [loud, quiet], [["doc-a"], ["doc-b"]])
    assert len(both) == 4 and {c.sentence.passage.doc_id for c in both} == {"doc-a", "doc-b"}
    weakest = {c.sentence.passage.doc_id: c.align_weakest for c in both}
    assert weakest["doc-a"] > 0.99 > weakest["doc-b"]  # doc-b never says "registration"


def test_a_glossary_entry_is_always_judged():
    """A definition the glossary offers reaches the model however many sentences use the term."""
    uses = _passage(" ".join(f"The methodology shall quantify leakage in case {i}." for i in range(12)), "a", "doc-a")
    entry = _passage("Leakage Net changes of emissions that occur outside the project boundary.", "def:1", "doc-g")
    asked = analyse("What is leakage?")
    scorer = Scorer(_FlatEmbedder(), {}, max_embedded=4, late_pool=6)
    cands = scorer.candidates(asked, asked.text, [uses, entry])
    assert len(cands) == 4 and any(c.sentence.passage.id == "def:1" for c in cands)
    # the same text from a retrieved chunk competes on its score like any other sentence
    chunk = _passage(entry.text, "c1", "doc-g")
    assert not any(c.sentence.passage.id == "c1" for c in scorer.candidates(asked, asked.text, [uses, chunk]))


def test_select_keeps_close_runners_up_on_the_same_page_only():
    """A runner-up on another page needs the floor; one on the same page needs only the relative bar."""
    p = _passage("First sentence about fees here. Second sentence also on fees. Third unrelated words here.")
    s1, s2, s3 = sentences(p)
    other = sentences(_passage("Elsewhere a sentence about the fee rules.", pid="p2", page=9))[0]
    chosen = select([(0.8, s1), (0.45, s2), (0.25, other), (0.1, s3)], max_sentences=4, relative=0.5, floor=0.3)
    assert [c for _, c in chosen] == [s1, s2]


def test_select_needs_a_share_of_the_best_from_another_page():
    """A runner-up from another page above the floor is still left out below `other_page` of the best P."""
    p = _passage("First sentence about fees here. Second sentence also on fees.")
    s1, s2 = sentences(p)
    other = sentences(_passage("Elsewhere a sentence about the fee rules.", pid="p2", page=9))[0]
    scored = [(0.8, s1), (0.35, other), (0.3, s2)]
    assert [c for _, c in select(scored, 4, relative=0.2, floor=0.1)] == [s1, other, s2]
    assert [c for _, c in select(scored, 4, relative=0.2, floor=0.1, other_page=0.5)] == [s1, s2]


def test_value_neighbour_joins_the_next_sentence_verbatim():
    """When only the next sentence states the figure, the quote spans both, verbatim from the page."""
    p = _passage("Vanuatu plans a full transition to renewable electricity. This would cut emissions by 72Gg.")
    first = sentences(p)[0]
    a = analyse("By how much would the target cut emissions?")
    joined = with_value_neighbour(first, a)
    assert "72Gg" in joined.text and joined.text in " ".join(p.text.split())


def test_a_rule_is_quoted_with_the_exception_that_follows_it_on_its_page():
    """"However, …" right after a quoted rule is part of the quote; another next sentence, or one on the
    next page, is not."""
    p = _passage("Projects may claim retroactive credits for two years. However, the total crediting period shall "
                 "not exceed ten years. Fees are listed in Annex 2.")
    rule, exception, other = sentences(p)
    joined = with_follow_on(rule)
    assert joined.text.endswith("shall not exceed ten years.") and joined.text in " ".join(p.text.split())
    assert joined.page == rule.page and joined.offset == rule.offset
    assert with_follow_on(exception) == exception  # "Fees are listed…" qualifies nothing
    assert with_follow_on(joined) == joined  # a quote already holding its exception is left alone
    text = ("Projects may claim retroactive credits for two years.\n"
            "However, the total crediting period shall not exceed ten years.")
    two = Passage("p2", "doc-a", "Doc A", text, 3, 4, "", "2 Fees", 1.0,
                  page_marks=json.dumps([[0, 3, ""], [text.index("However"), 4, ""]]))
    assert with_follow_on(sentences(two)[0]).text == "Projects may claim retroactive credits for two years."



def test_a_rule_is_quoted_with_the_sentences_that_carry_it_on():
    """"This includes …", "In such a case, …" and a sentence taking up the thing just named are read on, in a
    chain on the page; a new rule about something else is not."""
    p = _passage("Apply a discount factor if displacement is less than 1:1. The discount factor shall be 30%. "
                 "In such a case, the methodology shall explain it. Registration fees are listed in Annex 2.")
    first = sentences(p)[0]
    joined = with_follow_on(first)
    assert joined.text.endswith("the methodology shall explain it.") and "Annex 2" not in joined.text
    assert joined.text in " ".join(p.text.split())
    q = _passage("VCUs used under Article 6 shall meet its requirements. This includes corresponding adjustments.")
    assert with_follow_on(sentences(q)[0]).text.endswith("corresponding adjustments.")
    i = _passage("Units need not be cancelled when applying. Instead, they are cancelled after the audit. Fees apply.")
    assert with_follow_on(sentences(i)[0]).text.endswith("after the audit.")
    r = _passage("Projects shall report yearly. The project proponent shall keep records for two years.")
    assert with_follow_on(sentences(r)[0]) == sentences(r)[0]  # "project" is too generic to take up


def test_two_quotes_that_share_sentences_become_one():
    """A list, and its last item read on with the note after it: one quote from the list's start to the note,
    verbatim; quotes inside one another or apart stay as before."""
    p = _passage("Loss is modelled as follows:\na) Short-term products lose all carbon.\nb) Long-term products keep it.\n"
                 "Note - No landfill accounting is needed. Fees are listed in Annex 2.")
    lead, a, b, note, fees = sentences(p)
    listed, item = span(lead, b, p), span(b, note, p)
    out = distinct([(0.6, listed), (0.4, item), (0.3, fees)])
    assert [x.text for _, x in out] == [span(lead, note, p).text, fees.text]
    assert out[0][0] == 0.6 and out[0][1].text in " ".join(p.text.split())
    assert [x for _, x in distinct([(0.6, listed), (0.5, a)])] == [listed]  # inside: gives way

LEAD = "Discount rates shall be derived from:\n(a) Government bond rates plus a risk premium;"
REST = "(b) The cost of financing for the project type;\n(c) A company internal benchmark."


def test_lead_in_takes_the_list_items_that_follow():
    """A sentence ending in ':' is quoted with the items after it, verbatim."""
    p = _passage(LEAD + "\n" + REST)
    quote = extend_lead_in(sentences(p)[0]).text
    assert quote.endswith("A company internal benchmark.") and quote == " ".join(p.text.split())


def test_lead_in_runs_on_into_the_next_chunk():
    """A list a chunk cuts off is read on in the next chunk, when one is given."""
    p = _passage(LEAD)
    lead = sentences(p)[0]
    assert "(b)" not in extend_lead_in(lead).text
    joined = _passage(LEAD + "\n" + REST)
    quote = extend_lead_in(lead, more=lambda _p: joined).text
    assert "(c) A company internal benchmark." in quote and quote == " ".join(joined.text.split())


def test_run_on_joins_the_next_chunk_once_and_only_when_contiguous():
    """Contiguous or overlapping chunks join (the overlap once); a gap or another document does not."""
    n = len(LEAD)
    chunks = [("c1", "doc-a", 0, LEAD), ("c2", "doc-a", n + 1, REST),           # one newline between
              ("d1", "doc-b", 0, LEAD), ("d2", "doc-b", n - 10, LEAD[-10:] + "\n" + REST),  # overlap
              ("e1", "doc-c", 0, LEAD), ("e2", "doc-c", n + 40, REST)]          # a gap: text left out
    metas = [{"doc_id": d, "char_start": a, "char_end": a + len(t), "page_start": 3, "page_end": 3,
              "section": "2 Fees"} for _cid, d, a, t in chunks]
    lex = LexicalIndex([c[0] for c in chunks], [c[3] for c in chunks], metas)

    def joined(cid):
        return run_on(lex, _passage([c for c in chunks if c[0] == cid][0][3], pid=cid))

    assert joined("c1").text == LEAD + "\n" + REST
    assert joined("d1").text == LEAD + "\n" + REST
    assert joined("e1") is None and joined("c2") is None


def test_glossary_definition_leads_a_definition_answer():
    """An instrument's own definition goes first when it clears the floor; otherwise the order stands."""
    use = sentences(_passage("The project shall demonstrate regulatory surplus at validation."))[0]
    define = sentences(_passage("Project activities are not mandated by any law.", pid="def:abc"))[0]
    scored = [(0.30, use), (0.15, define)]
    assert glossary_first(scored, 0.03)[0][1] is define
    assert glossary_first(scored, 0.2) == scored
    assert glossary_first([(0.3, use)], 0.03) == [(0.3, use)]


def test_evidence_passages_are_small_verbatim_windows():
    """The LLM gets windows around the best sentences: on one page, verbatim, within the word budget."""
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    p = _passage(text)
    sents = sentences(p)
    ev = evidence_passages([(0.9, sents[10]), (0.8, sents[11]), (0.7, sents[30])], k=6, budget_words=60)
    assert 1 <= len(ev) <= 3 and sum(len(e.text.split()) for e in ev) <= 60 + 20
    assert all(e.text in " ".join(text.split()) and e.page_start == 3 for e in ev)
    assert "Sentence number 10 talks" in ev[0].text


def test_evidence_skips_contents_lines_and_groups_documents():
    """Table-of-contents windows never reach the LLM; windows of one document end up side by side."""
    toc = _passage("3 Registration fees .................................... 12 4 Buffer ........ 15",
                   pid="toc", page=2)
    a = _passage("The registration fee is due before review. It is charged per project.", pid="a", page=5)
    b = _passage("Buffer credits cover reversal risk.", pid="b", doc="other", page=8)
    a2 = _passage("Fees are listed in the fee schedule.", pid="a2", page=6)
    scored = [(0.9, sentences(toc)[0]), (0.8, sentences(a)[0]), (0.7, sentences(b)[0]), (0.6, sentences(a2)[0])]
    ev = evidence_passages(scored, k=6, budget_words=200, before=0, after=0)
    assert not any("...." in e.text for e in ev)
    assert [e.doc_id for e in ev] == [a.doc_id, a2.doc_id, "other"]
    assert ev[0].text.startswith("The registration fee")


@pytest.mark.parametrize("question, polar", [
    ("Must we pay the listing fee again when moving to under validation?", True),
    ("Do AFOLU buffer credits attract the VCU issuance levy? (Verified Carbon Units)", True),
    ("We run a fund outside India. Could we invest in sovereign green bonds?", True),
    ("Is there a fee, and how much is it?", False),
    ("How much is the fee? Is it paid once?", False),
    ("What is the registration fee?", False),
])
def test_a_yes_no_question_is_told_from_one_asking_for_a_value(question, polar):
    assert analyse(question).polar is polar


def test_a_yes_no_abstention_says_whether_is_not_stated_not_an_amount():
    asked = analyse("Does Verra refund the registration review fee if it denies our request?")
    cit = Citation(1, "d", "Doc", 3, "3", "", "The registration review fee is payable before review.", 0.2)
    text = abstain_text(asked, [cit], ["d"], {"d": {"title": "Doc"}})
    assert asked.polar and "none of them states whether it is so" in text and "amount" not in text


def test_abstention_names_what_is_missing():
    """The message says which attribute is absent, and that the topic itself was found."""
    a = analyse("What is the registration fee for a VCS project?")
    cits = [Citation(1, "doc-a", "Doc A", 3, "", "2", "The registration review fee shall be paid before review.", 0.2)]
    text = abstain_text(a, cits, ["doc-a"], {"doc-a": {"title": "Doc A"}})
    assert text.startswith(ABSTAIN_TEXT)
    assert "the amount of the fee" in text and "[1]" in text and "Doc A" in text


def test_unknown_names_are_capitalised_words_no_document_contains():
    """'Tokyo' is named and never indexed; sentence-initial words and indexed names do not count."""
    indexed = {"verra", "fee", "japan", "jcm"}.__contains__
    assert unknown_names("What is the population of Tokyo?", indexed) == ["Tokyo"]
    assert unknown_names("What fee does Verra charge? Does Japan's JCM differ?", indexed) == []
    assert unknown_names("Who won the 2022 FIFA World Cup?", indexed) == ["FIFA", "World", "Cup"]


def test_abstention_says_which_name_no_document_mentions():
    """A question about something the corpus never mentions says so by name."""
    text = abstain_text(analyse("What is the population of Tokyo?"), [], ["doc-a"], {"doc-a": {"title": "Doc A"}},
                        ["Tokyo"])
    assert text.startswith(ABSTAIN_TEXT) and "No indexed document mentions “Tokyo”." in text
    hinted = abstain_text(analyse("How does Gold Standrad define X?"), [], ["doc-a"], {"doc-a": {"title": "Doc A"}},
                          ["Standrad"], meant={"Standrad": "standard"})
    assert "No indexed document mentions “Standrad”. Did you mean “standard”?" in hinted
    assert "Did you mean" not in text


def test_abstention_counts_many_documents_by_issuer():
    """Up to five searched documents are named; more are counted per issuer, not listed title by title."""
    docs = {f"v{i}": {"title": f"Verra rule {i}", "issuer": "Verra"} for i in range(4)}
    docs |= {f"c{i}": {"title": f"CDM tool {i}", "issuer": "UNFCCC, CDM Executive Board"} for i in range(3)}
    text = searched_text(sorted(docs), docs)
    assert text == "Searched 7 documents (Verra 4, UNFCCC 3)."
    assert searched_text(["v0", "c1"], docs) == "Searched 2 document(s): Verra rule 0, CDM tool 1."


def test_committed_model_loads_and_orders_probabilities():
    """The committed artifact parses, and its question probability is a probability."""
    m = load()
    assert isinstance(m, Model) and 0.0 < m.threshold < 1.0
    assert 0.0 <= m.answerable(np.zeros(len(Q_FEATURES))) <= 1.0


def test_asked_modality_reads_the_force_a_question_asks_about():
    from assistant.answering.question import asked_modality

    assert asked_modality("What must the VVB do before the first verification?") == "duty"
    assert asked_modality("Is a site visit required at validation?") == "duty"
    assert asked_modality("Can a CDM project use TOOL07 in an Annex I country?") == "permission"
    assert asked_modality("Are buffer credits allowed to be released early?") == "permission"
    assert asked_modality("Which activities are prohibited in the project area?") == "prohibition"
    assert asked_modality("What is the registration fee for a VCS project?") == ""
    assert asked_modality("When was version 4.7 published in May 2024?") == ""


def test_distinct_quotes_a_sentence_once_and_keeps_the_longer_quote_in_its_place():
    """A runner-up joined with its value neighbour must not quote the best sentence a second time: it replaces it."""
    from assistant.answering.joining import distinct
    from assistant.answering.quotes import Sentence

    p = _passage("The GoJ has partnerships with 31 countries. A MoC between India and Japan exists.")
    best = Sentence("The GoJ has partnerships with 31 countries.", 3, "", "2 Fees", p, 0)
    joined = Sentence("The GoJ has partnerships with 31 countries. A MoC between India and Japan exists.", 3, "",
                      "2 Fees", p, 0)
    other_page = Sentence("The GoJ has partnerships with 31 countries.", 4, "", "2 Fees", p, 0)
    kept = distinct([(0.9, best), (0.5, joined), (0.4, other_page)])
    assert [x for _, x in kept] == [joined, other_page] and kept[0][0] == 0.9
    assert [x for _, x in distinct([(0.9, joined), (0.5, best)])] == [joined]


def test_side_by_side_quotes_each_instruments_close_runner_up_and_names_the_silent_one():
    """Two sentences of one instrument when the second is close to its best; under the floor, what was found is said."""
    from assistant.answering.comparison import side_by_side

    vcs = sentences(_passage("The crediting period shall be seven years, twice renewable. "
                             "3.9.2 AFOLU projects have a period of 20 to 100 years. Fees are listed elsewhere.",
                             doc="verra-vcs-standard"))
    gs = sentences(_passage("The crediting period is five years renewable twice.", pid="p2",
                            doc="gold-standard-principles"))
    cdm = sentences(_passage("The Executive Board keeps a registry.", pid="p3", doc="cdm-glossary"))
    scored = [(0.8, vcs[0]), (0.7, gs[0]), (0.6, vcs[1]), (0.2, vcs[2]), (0.01, cdm[0])]
    raw = {id(x): p for p, x in scored}
    fams = {"verra": ["verra-vcs-standard"], "gold-standard": ["gold-standard-principles"], "cdm": ["cdm-glossary"]}
    text, cits = side_by_side(fams, scored, raw, analyse("Compare the crediting periods"), min_score=0.06)
    # the runner-up is the next sentence: one quote holds both (joining.bridged)
    assert [c.quote for c in cits] == [f"{vcs[0].text} {vcs[1].text}", gs[0].text]
    assert [c.n for c in cits] == [1, 2]
    assert text.startswith("Verra (VCS): The crediting period shall be seven years") and "AFOLU" in text
    # the cell says what was found, not that the instrument is silent, and does not quote the near miss
    assert text.endswith("CDM: none of the passages found states this.") and "registry" not in text
    one, _ = side_by_side(fams, scored, raw, analyse("Compare the crediting periods"), min_score=0.06, per_family=1)
    assert "AFOLU" not in one
    far, _ = side_by_side(fams, scored, raw, analyse("Compare the crediting periods"), min_score=0.06, relative=0.9)
    assert "AFOLU" not in far


def test_a_compared_document_is_named_by_its_code_edition_or_title_with_its_version():
    """A comparison cell for one document reads "TOOL07 (v07.0)" or "VCS Standard (v4.7)", never its file id."""
    from assistant.answering.comparison import side_by_side
    from assistant.retrieval.fusion import document_name, family_name

    title = "Methodological tool TOOL07: Tool to calculate the emission factor for an electricity system"
    assert document_name(title, "07.0") == "TOOL07 (v07.0)"
    assert document_name("Economic Survey 2023-24, Chapter 6: Climate Change and Energy Transition") == \
        "Economic Survey 2023-24"
    assert document_name("Glossary: CDM terms (CDM-EB07-A04-GLOS)", "11.0") == "Glossary: CDM terms (v11.0)"
    assert family_name("verra") == "Verra (VCS)"
    tool = sentences(_passage("The build margin uses the five most recent plants.", doc="cdm-tool07"))
    vcs = sentences(_passage("Grid projects use the combined margin.", pid="p2", doc="verra-vcs-standard"))
    scored = [(0.8, tool[0]), (0.7, vcs[0])]
    fams = {"cdm-tool07": ["cdm-tool07"], "verra-vcs-standard": ["verra-vcs-standard"]}
    text, _ = side_by_side(fams, scored, {id(x): p for p, x in scored}, analyse("Compare the build margins"),
                           min_score=0.06, titles={"cdm-tool07": (title, "07.0"),
                                                   "verra-vcs-standard": ("VCS Standard", "4.7")})
    assert text.startswith("TOOL07 (v07.0): The build margin") and "VCS Standard (v4.7): Grid projects" in text
    assert "Cdm" not in text


def test_cited_first_puts_the_quoted_passages_first_in_citation_order():
    """The source card of [1] comes first; uncited passages keep their ranked order after the cited ones."""
    from assistant.answering.rerank import cited_first

    ps = [_passage("a", pid=f"p{i}") for i in range(4)]
    cits = [Citation(1, "doc-a", "Doc A", 3, "", "", "q", 0.9, passage_id="p2"),
            Citation(2, "doc-a", "Doc A", 3, "", "", "q", 0.8, passage_id="def:x"),
            Citation(3, "doc-a", "Doc A", 3, "", "", "q", 0.7, passage_id="p0")]
    assert [p.id for p in cited_first(ps, cits)] == ["p2", "p0", "p1", "p3"]
    assert [p.id for p in cited_first(ps, [])] == ["p0", "p1", "p2", "p3"]


LUF_TABLE = """Definitions
Project
Region
The project region is the spatial area where people and
environment are influenced by the project activities.
Smallholde
r
Smallholders are farmers that have more than 50% of farm work
done by family members.
Invasive
Species
An organism introduced by man into places out of its natural range.
Tree
(a) A tree is a perennial woody plant.
(b) In any project, trees shall reach a minimum height of 2
meters.
1 Available at http://example.org/sourcebook.pdf
Workers
Workers are all persons that are employed by a written or verbal
agreement."""


def test_term_column_glossary_is_read_where_the_definition_restates_the_term():
    """Terms set in a narrow column (even cut mid-word) are entries when the definition opens with them."""
    from assistant.answering.term_extract import extract_definitions

    meta = {"doc_id": "gs-luf", "title": "LUF Requirements", "version": "1", "page_start": 6, "page_end": 6,
            "char_start": 0, "char_end": len(LUF_TABLE), "page_marks": "[[0, 6, \"\"]]", "section_marks": "[]"}
    defs = {d.term: d for d in extract_definitions([LUF_TABLE], [meta]) if d.kind == "table"}
    assert set(defs) == {"Project Region", "Smallholder", "Tree", "Workers"}
    assert defs["Smallholder"].definition == ("Smallholders are farmers that have more than 50% of farm work "
                                              "done by family members.")
    # an entry that does not restate its term ends the one before; a footnote is not the definition
    assert defs["Project Region"].definition.endswith("influenced by the project activities.")
    assert defs["Tree"].definition.endswith("minimum height of 2 meters.") and defs["Tree"].page == 6
    # one restated term in prose is not a glossary
    lone = "Scope\nThe scope is the set of activities covered here."
    assert not [d for d in extract_definitions([lone], [{**meta, "char_end": len(lone)}]) if d.kind == "table"]


def test_words_of_the_documents_own_title_do_not_show_a_sentence_answers():
    """In the JCM note every sentence is about the JCM: only the other subject words count off-title."""
    jcm = Passage("j1", "jcm-note", "Joint Crediting Mechanism (JCM) note",
                  "The JCM is a bilateral mechanism. The Joint Committee approves methodologies under the JCM.",
                  1, 1, "", "", 1.0, page_marks=json.dumps([[0, 1, ""]]))
    sents = sentences(jcm)
    a = analyse("Who approves methodologies under the JCM?")
    X = pair_features(a, [Candidate(s, 0) for s in sents], {"approves": 3.0, "methodologies": 3.0, "jcm": 2.0}, 0.0,
                      set())
    off, subj = FEATURES.index("subject_off_title"), FEATURES.index("subject")
    assert X[0, off] == 0.0 and X[0, subj] > 0.0
    assert X[1, off] == pytest.approx(1.0)


def test_a_glossary_entry_counts_apart_when_the_question_asks_no_definition():
    """'Must all VCUs be issued at once?' is no 'what is a VCU': its glossary entry is flagged off-question."""
    entry = Passage("def:vcu", "verra-defs", "Program Definitions", "Verified Carbon Unit (VCU) A unit issued by Verra.",
                    1, 1, "", "", 1.0, page_marks=json.dumps([[0, 1, ""]]))
    cands = [Candidate(s, 0) for s in sentences(entry)]
    off = FEATURES.index("glossary_off")
    rule = pair_features(analyse("Must all VCUs in a verification report be issued at once?"), cands, {"vcus": 2.0},
                         0.0, set())
    term = pair_features(analyse("What is a VCU?"), cands, {"vcu": 2.0}, 0.0, set())
    assert rule[0, off] == 1.0 and term[0, off] == 0.0
    assert rule[0, FEATURES.index("glossary")] == term[0, FEATURES.index("glossary")] == 1.0


def test_low_confidence_note_only_under_the_bar():
    """The warning names the probability and appears only below `low`."""
    from assistant.answering.abstain import low_confidence_note

    assert low_confidence_note(0.36, 0.5).startswith("low confidence (0.36)")
    assert low_confidence_note(0.5, 0.5) is None


def test_chart_data_and_the_title_block_are_not_quotable():
    """A figure's numbers read out as a run, or the document's own title line, state nothing."""
    assert chart_data("Figure VII.12: Status of Sovereign Green Bond issuances in 2021 21.7 16.1 15.3 14.2 8.8 5.7 0 5 10")
    assert not chart_data("Between 2011, 2013, 2015 and 2017 the carbon stock rose by 2.5 per cent.")
    title = "India - Japan Joint Crediting Mechanism (JCM): JCM's strong RE track record supports India's NDC targets"
    assert title_echo("ICRA's CLIMATE SERIES India - Japan Joint Crediting Mechanism (JCM) JCM's strong RE track "
                      "record supports India's NDC targets JANUARY 2026", title)
    assert not title_echo("Launched in 2013, the JCM operates as a bilateral carbon-market mechanism through which "
                          "Japan partners with other countries.", title)
    p = _passage("x")
    assert quotable("The registration review fee shall be paid before Verra processes a project registration.", p)
    assert not quotable("Fees", p)  # below the length bound
    assert not quotable("Uncertainty deduction by band 10 20 30 40 50 60 per cent of the estimate", p)


def test_a_contents_line_is_not_quotable():
    """"ANNEX A – … ARTICLE 6 ____ 25" names a topic and states nothing; a contents page's heading lines neither."""
    contents = _passage("Double Claiming ....................... 20\n15| REQUIREMENTS TO AVOID DOUBLE CLAIMING ______ 22\n"
                        "Procedures ................................ 23\nANNEX A – REQUIREMENTS FOR CREDITS AUTHORISED "
                        "FOR USE UNDER ARTICLE\n6 OF THE PARIS AGREEMENT ______________________ 25")
    assert not quotable("6 OF THE PARIS AGREEMENT FOR CREDITS AUTHORISED ______________________ 25", _passage("x"))
    assert not quotable("ANNEX A – REQUIREMENTS FOR CREDITS AUTHORISED FOR USE UNDER ARTICLE", contents)
    # the same heading words in a body passage, and prose that ends like a sentence, stay quotable
    body = _passage("ANNEX A – REQUIREMENTS FOR CREDITS AUTHORISED FOR USE UNDER ARTICLE 6\n1.1.1 | The requirements "
                    "below shall be followed in order for GSVERs to be identified on the Impact Registry as authorised.")
    assert quotable("ANNEX A – REQUIREMENTS FOR CREDITS AUTHORISED FOR USE UNDER ARTICLE", body)
    assert quotable("Credits authorised for use under Article 6 shall follow the annex.", contents)


def test_closest_cosine_reads_only_passages_the_dense_side_ranked():
    """BM25-only passages carry no cosine: with none from the dense side there is nothing to gate on."""
    from assistant.answering.scoring import closest_cosine

    dense = _passage("a")
    dense.dense_rank, dense.dense_score = 2, 0.41
    lexical_only = _passage("b", pid="p2")
    assert closest_cosine([lexical_only]) is None
    assert closest_cosine([lexical_only, dense]) == 0.41
