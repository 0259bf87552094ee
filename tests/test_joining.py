"""How chosen sentences join into quotes: over a short gap, and on into the next sentence of their clause."""
import json

from assistant.answering.joining import bridged
from assistant.answering.quotes import sentences
from assistant.models import Passage

TEXT = ("Once the project has been verified, the proponent submits the documents to the Verra Registry. "
        "Verra conducts a completeness review of the documents. "
        "Where the project complies, Verra issues VCUs into the proponent's account. "
        "Fees are listed in the Program Fee Schedule.")


def _passage(text: str = TEXT, pid: str = "p1", page: int = 3) -> Passage:
    """A one-page passage."""
    return Passage(pid, "doc-a", "Doc A", text, page, page, "", "4 Issuance", 1.0,
                   page_marks=json.dumps([[0, page, ""]]))


def test_two_quotes_one_sentence_apart_become_one_quote_holding_the_gap():
    submit, review, issue, fees = sentences(_passage())
    out = bridged([(0.7, issue), (0.4, submit)])
    assert len(out) == 1
    p, quote = out[0]
    assert p == 0.7
    assert quote.text == f"{submit.text} {review.text} {issue.text}"
    assert quote.offset == submit.offset


def test_a_long_gap_another_page_or_another_passage_keeps_two_quotes():
    submit, review, issue, fees = sentences(_passage())
    assert len(bridged([(0.7, submit), (0.4, fees)], max_words=10)) == 2  # 19 words between them
    other = sentences(_passage(pid="p2"))[2]
    assert bridged([(0.7, submit), (0.4, other)]) == [(0.7, submit), (0.4, other)]
    far = sentences(_passage(page=4))[2]
    assert len(bridged([(0.7, submit), (0.4, far)])) == 2


def test_a_third_quote_keeps_its_place_after_the_joined_one():
    submit, review, issue, fees = sentences(_passage())
    elsewhere = sentences(_passage("A different rule on another page applies here.", pid="p9", page=8))[0]
    out = bridged([(0.9, submit), (0.8, elsewhere), (0.5, review)])
    assert [q.text for _, q in out] == [f"{submit.text} {review.text}", elsewhere.text]


def test_a_quote_reads_on_one_sentence_of_its_clause_but_not_into_a_new_one():
    from assistant.answering.joining import with_next

    attest, signer, heading, item = sentences(_passage(
        "5.1.43 The Project Developer shall attest to the accuracy of the information by its signature. "
        "The signatory shall be an individual with legal signing authority in the organisation. "
        "Table 4 lists the reporting periods for each type of project. "
        "5.1.44 Annual reports are due each year on the anniversary of the start date."))
    assert with_next(attest).text == f"{attest.text} {signer.text}"
    assert with_next(signer).text == signer.text  # "Table 4 …" opens a new part of the page
    assert with_next(heading).text == heading.text  # "5.1.44 …" is a clause of its own
    assert with_next(item).text == item.text  # nothing follows


def test_a_quote_does_not_read_on_into_a_footnote_a_formula_or_a_long_sentence():
    from assistant.answering.joining import with_next

    rule = "The operating margin shall be calculated ex ante for the whole crediting period."
    for after in ("16 CITES is an agreement between governments on trade in wild animals.",
                  "EF = sum of generation times factor over generation total;",
                  "The weights " + "apply to every system in the project boundary and " * 6 + "end."):
        first = sentences(_passage(f"{rule} {after}"))[0]
        assert with_next(first).text == rule


def test_a_quote_at_the_end_of_its_chunk_reads_on_into_the_next_chunk():
    from dataclasses import replace

    from assistant.answering.joining import with_next

    rule = "The operating margin shall be calculated ex ante for the whole crediting period."
    then = "It shall not be updated during the crediting period of the project."
    first = sentences(_passage(rule))[0]
    joined = with_next(first, more=lambda p: replace(p, text=f"{p.text} {then}"))
    assert joined.text == f"{rule} {then}"
    assert joined.passage.text.endswith(then)  # the text it spans, so a later quote can join it
    assert with_next(first, more=lambda p: None).text == rule


def test_a_quote_inside_the_gap_gives_way_to_the_joined_quote():
    submit, review, issue, fees = sentences(_passage())
    out = bridged([(0.9, submit), (0.5, issue), (0.3, review)])
    assert [q.text for _, q in out] == [f"{submit.text} {review.text} {issue.text}"]
