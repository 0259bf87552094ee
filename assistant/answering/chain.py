"""The question path as one LangChain (LCEL) runnable.

    prepare → retrieve_and_score (follow-up rewrite, CorpusRetriever, evidence scoring) → respond
    (extractive quotes or grounded LLM answer, or an abstention that says what is missing)

Input: a question string, or a dict with `question` and optional `history`, `filters`, `answerer`,
`provider`, `on_token`, `as_of`. Output: an `assistant.models.Answer`. Being a Runnable, it has
`invoke`, `batch` (questions in parallel threads) and `stream`, and takes LangChain callbacks.
"""
from __future__ import annotations

from langchain_core.runnables import Runnable, RunnableLambda


def build_chain(assistant) -> Runnable:
    """The chain over a loaded `assistant.answering.answer.Assistant`."""
    return (
        RunnableLambda(assistant.prepare, name="prepare")
        | RunnableLambda(assistant.retrieve_and_score, name="retrieve_and_score")
        | RunnableLambda(assistant.respond, name="respond")
    ).with_config(run_name="carbonqa")
