"""Two quotes of one passage a short gap apart are read as one quote, gap included."""
import json

from assistant.answering.quotes import bridged, sentences
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
