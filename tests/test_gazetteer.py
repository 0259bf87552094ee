"""'Which countries' and 'which languages' questions need names, not counts of Parties."""
from assistant.answering.abstain import abstain_text
from assistant.answering.gazetteer import names_in
from assistant.answering.question import analyse, states_value


def test_names_come_in_iso_and_everyday_forms():
    """ISO names, their short forms and the everyday ones are found; common words are not."""
    text = "Agreements with Peru, Ghana, Viet Nam, the Republic of Korea and Bolivia; talks in Spanish and French."
    assert names_in(text, "country") == ["Peru", "Ghana", "Viet Nam", "Korea", "Bolivia"]
    assert names_in(text, "language") == ["Spanish", "French"]
    assert names_in("3 per cent of Parties declared a climate emergency in their country.", "country") == []


def test_a_which_countries_question_needs_a_country_the_question_does_not_name():
    """'Switzerland' in the question is context; the answer must name others."""
    asked = analyse("Which countries were party to Switzerland's first Article 6.2 bilateral agreements?")
    assert asked.value == "country"
    assert states_value("Switzerland signed its first bilateral agreements with Peru, Ghana and Senegal.", asked)
    assert not states_value("Switzerland signed bilateral agreements with three Parties in 2020.", asked)
    assert analyse("Into which languages are the VCS documents translated?").value == "language"
    # a count or a share of countries is still a number
    assert analyse("How many countries have JCM partnerships with Japan?").value == "number"
    assert analyse("What share of countries quantified their finance needs?").value == "percent"


def test_the_abstention_says_no_country_is_named():
    """The user is told what was missing: which countries."""
    asked = analyse("Which countries have declared a climate emergency?")
    text = abstain_text(asked, [], ["d1"], {"d1": {"title": "NDC synthesis report"}})
    assert "states which countries" in text
