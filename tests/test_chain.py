"""The question path as one LangChain runnable, over the real corpus: invoke, batch, stream, the README snippet."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.models import Answer

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(indexed_settings):
    """One Assistant over the shared index."""
    from assistant.answering.answer import Assistant

    a = Assistant(indexed_settings)
    a.warm_up()
    return a


def test_chain_is_a_runnable_with_named_steps(assistant):
    """The chain is LCEL: prepare → retrieve_and_score → respond."""
    from langchain_core.runnables import Runnable

    chain = assistant.chain
    assert isinstance(chain, Runnable)
    names = [n.name for n in chain.get_graph().nodes.values()]
    assert {"prepare", "retrieve_and_score", "respond"} <= set(names)


def test_invoke_batch_and_stream_agree(assistant):
    """invoke, batch and stream give the same cited answer; ask() is invoke."""
    q = "How long is the Gold Standard design certification valid?"
    one = assistant.chain.invoke({"question": q})
    two = assistant.chain.batch([{"question": q}, "What is a VVB?"])
    streamed = list(assistant.chain.stream(q))
    assert isinstance(one, Answer) and one.citations
    assert two[0].answer == one.answer and isinstance(two[1], Answer)
    assert streamed[-1].answer == one.answer
    assert assistant.ask(q).answer == one.answer
    assert 0.0 <= one.confidence <= 1.0 and one.evidence and one.evidence[0]["p"] >= one.evidence[-1]["p"]


def test_chain_rejects_bad_input(assistant):
    """An empty question or an unknown answerer is a clear error, not an empty answer."""
    from ingest.errors import CarbonQAError

    with pytest.raises(CarbonQAError, match="empty"):
        assistant.chain.invoke({"question": "  "})
    with pytest.raises(CarbonQAError, match="unknown answerer"):
        assistant.chain.invoke({"question": "What is a VVB?", "answerer": "oracle"})


def test_readme_langchain_snippet_runs(indexed_env):
    """The README's 'Use it from LangChain' code block runs as written."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"## Use it from LangChain.*?```python\n(.*?)```", text, re.S)
    assert m, "README has no 'Use it from LangChain' python block"
    scope: dict = {}
    exec(compile(m.group(1), "README.md", "exec"), scope)  # noqa: S102 - our own README
    assert isinstance(scope["answer"], Answer)
    assert scope["docs"] and "page_start" in scope["docs"][0].metadata


def test_llm_refusal_yields_to_a_confident_answer_model(indexed_settings):
    """The LLM saying 'not stated' where the calibrated model is confident gives the quoted answer, flagged."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.answering.answer import Assistant
    from assistant.answering.llm_answer import SENTINEL, LLMAnswerer

    question = "What is a DOE in the CDM?"
    for override, quoted in ((0.5, True), (1.01, False)):
        a = Assistant(indexed_settings.model_copy(update={"llm_override_support": override}))
        refusal = GenericFakeChatModel(messages=iter([AIMessage(content=SENTINEL)]))
        a._llm["fake"] = LLMAnswerer(a.settings, "fake", model=refusal)
        ans = a.ask(question, answerer="llm", provider="fake")
        assert ans.answerer == "llm:fake" and ans.abstained is not quoted
        # the model is sure (P >= 0.5); declined all the same, the answer reports a P under the bar
        assert ans.confidence >= 0.5 if quoted else ans.confidence < a.threshold()
        assert any("quoted" in w for w in ans.warnings) is quoted
        if quoted:
            assert ans.citations and ans.answer == a.ask(question).answer


def test_an_llm_reply_the_grounding_check_empties_is_no_refusal(indexed_settings):
    """Every LLM sentence removed (no [n]) is not the model saying 'not stated': the quoted answer stands,
    flagged, even where the refusal override would not apply."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.answering.answer import Assistant
    from assistant.answering.llm_answer import LLMAnswerer

    question = "What is a DOE in the CDM?"
    a = Assistant(indexed_settings.model_copy(update={"llm_override_support": 1.01}))
    reply = GenericFakeChatModel(messages=iter([AIMessage(content="A DOE is an accredited auditor.")]))
    a._llm["fake"] = LLMAnswerer(a.settings, "fake", model=reply)
    ans = a.ask(question, answerer="llm", provider="fake")
    assert not ans.abstained and ans.answer == a.ask(question).answer
    assert any("grounding check" in w for w in ans.warnings)

def test_llm_answer_leads_the_quotes_the_answer_model_selected(indexed_settings):
    """An LLM answer is its grounded sentence first, then the extractive quotes verbatim, one numbering."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.answering.answer import Assistant
    from assistant.answering.llm_answer import LLMAnswerer

    question = "What is a DOE in the CDM?"
    a = Assistant(indexed_settings)
    quoted = a.ask(question)
    reply = GenericFakeChatModel(messages=iter([AIMessage(content="A DOE is an accredited auditor. [1]")]))
    a._llm["fake"] = LLMAnswerer(a.settings, "fake", model=reply)
    ans = a.ask(question, answerer="llm", provider="fake")
    assert not ans.abstained and ans.answer.startswith("A DOE is an accredited auditor. [1]")
    lead, _, rest = ans.answer.partition("\n\nThe documents say: ")
    assert rest and all(c.quote in rest for c in quoted.citations)
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))
    for c in quoted.citations:  # each quote is cited under its own (merged) number
        same = [x for x in ans.citations if (x.doc_id, x.page, x.quote) == (c.doc_id, c.page, c.quote)]
        assert len(same) == 1 and f"{c.quote} [{same[0].n}]" in rest


def test_an_answer_below_low_confidence_carries_a_warning(indexed_settings):
    """The same answer is flagged when its P(the corpus answers) is under `low_confidence`, and not above it."""
    from assistant.answering.answer import Assistant

    question = "What is a DOE in the CDM?"
    quiet = Assistant(indexed_settings.model_copy(update={"low_confidence": 0.0})).ask(question)
    loud = Assistant(indexed_settings.model_copy(update={"low_confidence": 1.0})).ask(question)
    assert not quiet.abstained and not any(w.startswith("low confidence") for w in quiet.warnings)
    assert loud.answer == quiet.answer
    assert any(w.startswith(f"low confidence ({loud.confidence:.2f})") for w in loud.warnings)


def test_a_decline_by_rule_reports_a_confidence_under_the_bar(indexed_settings):
    """The model may be sure the topic is covered; when a rule declines (no sentence states the value asked
    for), the answer's confidence is under the bar, not beside "the corpus does not answer" at 0.9."""
    from assistant.answering.answer import Assistant

    a = Assistant(indexed_settings.model_copy(update={"abstain_threshold": 0.05}))
    turn = a.retrieve_and_score(a.prepare("What is a DOE in the CDM?"))
    assert turn.evidence.support >= 0.05
    answered = a.respond(turn)
    assert not answered.abstained and answered.confidence == turn.evidence.support
    turn.evidence.lacks_value = True
    declined = a.respond(turn)
    assert declined.abstained and declined.confidence < 0.05


def test_a_question_no_passage_is_close_to_abstains_as_off_topic(indexed_settings):
    """Below `off_topic_cosine` the answer says the corpus does not seem to cover the topic, at confidence 0."""
    from assistant.answering.answer import Assistant

    question = "What vaccines are required to travel to Kenya?"
    shut = Assistant(indexed_settings.model_copy(update={"off_topic_cosine": 0.99})).ask(question)
    assert shut.abstained and shut.confidence == 0.0
    assert "do not seem to cover this topic" in shut.answer and "similarity 0." in shut.answer
    # a question that names an indexed instrument is about the corpus, however far its wording sits
    named = Assistant(indexed_settings.model_copy(update={"off_topic_cosine": 0.99})).ask("Who chairs the CDM board?")
    assert "do not seem to cover this topic" not in named.answer
    # the same gate, open: the in-domain question is answered as before, its confidence the model's
    doe = "What is a DOE in the CDM?"
    opened = Assistant(indexed_settings.model_copy(update={"off_topic_cosine": 0.0})).ask(doe)
    assert not opened.abstained and opened.confidence > 0.0
    assert Assistant(indexed_settings).ask(doe).answer == opened.answer


def test_a_name_no_document_mentions_stops_an_answer_unless_the_model_is_sure(indexed_settings, monkeypatch):
    """'Zanzibar' is the asker's context when the model is sure the corpus answers: answered, with a warning."""
    from assistant.answering import answer as answer_mod
    from assistant.answering.answer import Assistant

    question = "We work in Zanzibar. What is a DOE in the CDM?"
    a = Assistant(indexed_settings)
    monkeypatch.setattr(answer_mod, "UNKNOWN_NAME_OVERRIDE", 1.01)
    stopped = a.ask(question)
    assert stopped.abstained and "No indexed document mentions “Zanzibar”" in stopped.answer
    monkeypatch.setattr(answer_mod, "UNKNOWN_NAME_OVERRIDE", 0.0)
    said = a.ask(question)
    assert not said.abstained and any("no indexed document mentions Zanzibar" in w for w in said.warnings)
