"""A quoted lead-in brings the list it introduces, read through the ways PDF text breaks lists."""
from __future__ import annotations

import json

import pytest

from assistant.answering.lists import extend_lead_in, list_of, read_list
from assistant.answering.quotes import sentences
from assistant.models import Passage


def _passage(*pages: str, first: int = 4) -> Passage:
    """One passage over consecutive pages, with the page marks ingest writes."""
    marks, text = [], ""
    for i, page in enumerate(pages):
        if text:
            text += "\n"
        marks.append([len(text), first + i, ""])
        text += page
    return Passage("p1", "doc-a", "Doc A", text, first, first + len(pages) - 1, "", "3 Rules", 1.0,
                   page_marks=json.dumps(marks))


def _lead(p: Passage, start: str):
    """The sentence of p that starts with `start`."""
    return next(s for s in sentences(p) if s.text.startswith(start))


def _on_its_page(p: Passage, quote) -> bool:
    """The quote is verbatim (whitespace aside) in the text of its own page."""
    marks = json.loads(p.page_marks)
    for i, (off, page, _label) in enumerate(marks):
        if page == quote.page:
            end = marks[i + 1][0] if i + 1 < len(marks) else len(p.text)
            return " ".join(quote.text.split()) in " ".join(p.text[off:end].split())
    return False


def test_a_sentence_that_introduces_no_list_comes_back_alone():
    """Prose is quoted as it is."""
    p = _passage("The fee is USD 500. It is paid before review.")
    s = sentences(p)[0]
    assert read_list(s) == [s]


def test_enumerators_standing_alone_are_read_with_the_item_they_open():
    """'if:' then 'a.' then the item's words: the whole list is the quote, and prose after it is not."""
    p = _passage("11) Projects are additional if:\na.\nThe project misses the benchmark;\nb.\n"
                 "Revenues increase decisively.\nThis section does not apply to modules.")
    quotes = read_list(_lead(p, "11)"))
    assert len(quotes) == 1
    assert quotes[0].text.endswith("Revenues increase decisively.") and "modules" not in quotes[0].text


def test_an_item_cut_inside_a_bracket_reads_on():
    """'vii. GPS coordinate system (e.g.' then 'WGS 84) viii. GPS grid': the sentence split inside the bracket."""
    p = _passage("(g) Maps shall include: i.\nLegend ii.\nGPS coordinate system (e.g.\nWGS 84) iii.\nGPS grid.\n"
                 "Other rules follow here.")
    quote = read_list(_lead(p, "(g)"))[0].text
    assert quote.endswith("WGS 84) iii. GPS grid.")


def test_a_first_item_glued_to_the_lead_in_sets_the_style_and_a_new_clause_ends_the_list():
    """'documents: 1) …' reads on through '2) …', and '3.5.5 The …' (a clause number) is not item 3."""
    p = _passage("3.5.4 The following shall be public: 1) The baseline scenario\n2) Additionality\n"
                 "3.5.5 The project proponent shall use the template.")
    quote = read_list(_lead(p, "3.5.4"))
    assert [q.text for q in quote] == ["3.5.4 The following shall be public: 1) The baseline scenario 2) Additionality"]


def test_a_list_over_a_page_break_is_a_second_quote_on_the_next_page_past_footnotes_and_header():
    """Each quote stays verbatim on one page; the footnote and the running header are left out."""
    p = _passage("Four types of measures are covered:\n2 The Board agreed to clarify the start date.",
                 "5 of 16\n(i) Fuel switch;\n(ii) Methane destruction.\nOther text follows here now.")
    quotes = read_list(_lead(p, "Four types"))
    assert [q.page for q in quotes] == [4, 5]
    assert quotes[1].text == "(i) Fuel switch; (ii) Methane destruction."
    assert all(_on_its_page(p, q) for q in quotes)
    assert extend_lead_in(_lead(p, "Four types")).text == "Four types of measures are covered:"


def test_a_list_that_ended_on_its_page_is_not_read_on_into_the_next():
    """Items, then prose on the same page: a list at the top of the next page is another list."""
    p = _passage("Fees are:\n(a) USD 500;\n(b) USD 100.\nThe fees are reviewed each year.",
                 "(a) An unrelated list item.")
    quotes = read_list(_lead(p, "Fees are"))
    assert len(quotes) == 1 and quotes[0].text == "Fees are: (a) USD 500; (b) USD 100."

@pytest.mark.parametrize("text, lead, last, after", [
    # an item ending in ':' opens a sub-list, read until the outer style returns
    ("A scope may be reinstated where:\n1) The body demonstrates that:\na) the evidence was wrong, or\n"
     "b) the facts changed, and\n2) The body has paid all fees.\nSee also section 6.",
     "A scope", "2) The body has paid all fees.", "See also"),
    # a lead-in written with no end mark at all ("… provide following information")
    ("5.1.42 The Annual Report shall provide following information\n(a) A summary of activities,\n"
     "(b) A statement on how stakeholders may provide grievances.\nThe report is public.",
     "5.1.42", "provide grievances.", "public"),
    # the colon's list written as one run-in sentence in lower case
    ("The classes have to be differentiated into three data vintages:\nplants with up to five years of "
     "operation and plants with more than 10 years of operation.\n11. If default values are used, apply Table 2.",
     "The classes", "more than 10 years of operation.", "Table 2"),
])
def test_a_lead_in_brings_its_whole_list_and_no_more(text, lead, last, after):
    """The list a lead-in introduces ends at its last item, in the shapes rulebooks write lists."""
    quote = read_list(_lead(_passage(text), lead))[0].text
    assert quote.endswith(last) and after not in quote


def test_a_chunk_that_cuts_the_list_off_is_read_on_in_the_next_chunk():
    """`more` joins the next chunk; the items it holds are quoted."""
    short = _passage("Rates are derived from:\n(a) Bond rates;")
    whole = _passage("Rates are derived from:\n(a) Bond rates;\n(b) Internal benchmarks.")
    lead = sentences(short)[0]
    assert read_list(lead)[0].text == "Rates are derived from: (a) Bond rates;"
    assert read_list(lead, more=lambda _p: whole)[0].text == "Rates are derived from: (a) Bond rates; (b) Internal benchmarks."


def _index(chunks):
    """A lexical index over (id, doc, char_start, text, page) chunks, one page mark each."""
    from assistant.retrieval.lexical import LexicalIndex

    metas = [{"doc_id": d, "char_start": a, "char_end": a + len(t), "page_start": pg, "page_end": pg,
              "section": "2 Definitions", "page_marks": json.dumps([[0, pg, ""]])} for _c, d, a, t, pg in chunks]
    return LexicalIndex([c[0] for c in chunks], [c[3] for c in chunks], metas)


HEAD = "Tree means a perennial plant. Large-scale deforestation means an area that exceeds 1,000 ha"
TAIL = ", cleared in a single monitoring period. Leakage means emissions outside the boundary."


def test_a_quote_whose_chunk_starts_inside_its_sentence_is_read_from_the_sentence_start():
    """', cleared in …' at a chunk's start is quoted with its beginning from the previous chunk, same page."""
    from functools import partial

    from assistant.answering.quotes import whole_sentence
    from assistant.retrieval.fusion import passage
    from assistant.retrieval.neighbours import run_back

    lex = _index([("c1", "doc-a", 0, HEAD, 13), ("c2", "doc-a", len(HEAD), TAIL, 13),
                  ("d1", "doc-b", 0, HEAD, 13), ("d2", "doc-b", len(HEAD) + 30, TAIL, 13)])   # d: a gap

    def first(cid):
        """The first sentence of chunk cid as retrieval hands it over."""
        row = lex.row_of[cid]
        return sentences(passage(cid, lex.texts[row], lex.metas[row]))[0]

    back = partial(run_back, lex)
    whole = whole_sentence(first("c2"), back)
    assert whole.text == ("Large-scale deforestation means an area that exceeds 1,000 ha, "
                          "cleared in a single monitoring period.")
    assert whole.page == 13 and whole.text.replace(" ", "") in (HEAD + TAIL).replace(" ", "")
    assert whole_sentence(first("d2"), back).text.startswith(", cleared")   # not contiguous: left as it is
    s1 = first("c1")
    assert whole_sentence(s1, back) is s1   # a sentence that starts as one is left alone
    assert whole_sentence(first("c2"), None).text.startswith(", cleared")


def test_a_lead_in_ending_in_a_semicolon_brings_its_list():
    """'… is;' then 'a. …': some rulebooks end a lead-in with ';' where ':' is meant."""
    p = _passage("12.1.2 |At minimum, the VVB shall conduct physical site visit;\na.\nWithin two years of project"
                 " start date; and\n\nb.\nOnce every three years after the first physical site visit.\n"
                 "12.1.3 |The VVB may combine both audits.")
    got = read_list(_lead(p, "12.1.2"))
    assert len(got) == 1 and got[0].text.endswith("b. Once every three years after the first physical site visit.")
    assert _on_its_page(p, got[0])


def test_an_item_ending_in_a_semicolon_is_no_lead_in():
    """'a. … ;' followed by 'b. …' is one item of a list, not the start of another."""
    p = _passage("The registry shall be:\na. publicly available;\nb. updated every year.\nOther prose follows here.")
    assert [s.text for s in read_list(_lead(p, "a. publicly"))] == ["a. publicly available;"]


def test_a_sentence_the_page_break_cuts_reads_on_as_a_second_quote():
    """'Double claiming includes when a GHG emission reduction or' goes on, past a footnote, onto the next page."""
    p = _passage("Double counting includes double claiming. Double claiming includes when a GHG emission reduction or\n"
                 "1 See: World Bank Operational Manual, OP 4.10",
                 "carbon dioxide removal is credited twice. Other rules follow.")
    got = read_list(_lead(p, "Double claiming includes"))
    assert [q.page for q in got] == [4, 5]
    assert got[1].text == "carbon dioxide removal is credited twice."
    assert all(_on_its_page(p, q) for q in got)
    # a finished sentence, or a next page that opens a new one, stays alone
    assert len(read_list(_lead(p, "Double counting includes"))) == 1
    q = _passage("The project proponent shall notify Verra\n", "Section 4 Registration. It follows.")
    assert len(read_list(_lead(q, "The project proponent"))) == 1


def test_an_item_of_two_sentences_does_not_end_the_list():
    """'1) … shall occur. Such area(s) shall be specified …' then '2) …': the second sentence belongs to item 1.

    The list read on from the page break stopped at it, so a grouped project's five required contents
    were quoted as one; prose after the last item, or before another list's '1)', still ends it.
    """
    p = _passage("3.6.22 A grouped project description shall contain the following:",
                 "1) A delineation of the geographic areas. Such areas shall be specified by geodetic polygons.\n"
                 "2) One or more determinations of the baseline.\n3) A description of the central GHG information "
                 "system.\nNote – Where the project includes more than one activity, each is addressed separately.\n"
                 "1) An unrelated list starts here.")
    quotes = read_list(_lead(p, "3.6.22"))
    assert len(quotes) == 2 and all(_on_its_page(p, q) for q in quotes)
    assert quotes[1].text.startswith("1) A delineation") and quotes[1].text.endswith("central GHG information system.")
    assert "geodetic polygons" in quotes[1].text and "Note" not in quotes[1].text
    # a sentence after an item is no part of the list when no next item follows it
    p = _passage("(g) Maps shall include: i.\nLegend.\nThe legend is drawn in colour.\nOther rules follow here.")
    assert "Other rules" not in read_list(_lead(p, "(g)"))[0].text


def test_an_item_is_quoted_with_its_lead_in_and_its_sibling_items():
    """'3) A stakeholder …' chosen alone: the quote is the lead-in with all four triggers, on its page."""
    p = _passage("Reviews are rare. 6.1.1 A review may be triggered by:\n1) A change of rules.\n"
                 "2) A request by the proponent.\n3) A stakeholder has concerns.\n4) Verra finds an error.\n"
                 "6.1.2 Verra notifies the proponent.")
    quotes = list_of(_lead(p, "3)"))
    assert len(quotes) == 1 and _on_its_page(p, quotes[0])
    assert quotes[0].text.startswith("6.1.1 A review may be triggered by:")
    assert quotes[0].text.endswith("4) Verra finds an error.") and "6.1.2" not in quotes[0].text


def test_an_item_with_no_lead_in_on_its_page_stays_alone():
    """Items under a lead-in on the page before, or under prose that introduces nothing, are not widened."""
    p = _passage("The fee is paid yearly.\n1) A change of rules.\n2) A request by the proponent.")
    item = _lead(p, "2)")
    assert list_of(item) == [item]
    prose = _lead(p, "The fee")
    assert list_of(prose) == [prose]


def test_an_unended_heading_that_opens_no_list_is_not_read_on():
    """A sentence with no end mark followed by prose (not a first enumerator) comes back alone."""
    p = _passage("Registration of projects under the scheme\nThe fee is paid yearly by the proponent.")
    s = _lead(p, "Registration")
    assert read_list(s) == [s]


def test_an_item_whose_chunk_starts_inside_the_list_finds_its_lead_in_in_the_chunk_before():
    """The chunk opens at '3) …': `back` (the previous chunk with this one joined on) holds the lead-in."""
    whole = _passage("6.1.1 A review may be triggered by:\n1) A change of rules.\n2) A request by the proponent.\n"
                     "3) A stakeholder has concerns.\n4) Verra finds an error.\n6.1.2 Verra notifies the proponent.")
    start = whole.text.index("3)")
    tail = _passage(whole.text[start:])
    item = _lead(tail, "3)")
    assert list_of(item) == [item]  # alone, the chunk has no lead-in
    quotes = list_of(item, back=lambda p: (whole, start))
    assert quotes[0].text.startswith("6.1.1 A review") and quotes[0].text.endswith("4) Verra finds an error.")
    assert _on_its_page(whole, quotes[0])
