"""The abstention message: say what was looked for and not found, then point at the nearest passages."""
from __future__ import annotations

from assistant.answering.question import Asked, names_attribute
from assistant.retrieval.coverage import not_indexed_note

ABSTAIN_TEXT = "The corpus does not answer this question."

# What a user is told is missing, per asked attribute (see attributes.ATTRIBUTES).
_WHAT = {
    "fee": "the amount of the fee or charge", "penalty": "the penalty", "percent": "the percentage",
    "deadline": "the time limit", "duration": "the period", "date": "the date", "body": "which body is responsible",
    "payer": "who pays",
    "count": "the number", "amount": "the figure", "country": "which countries", "language": "which languages",
    "contents": "the contents or criteria asked for",
}


def abstain_text(asked: Asked | None, cits, searched: list[str], docs: dict[str, dict],
                 unknown: list[str] | None = None, unindexed: list | None = None,
                 off_topic: float | None = None, meant: dict[str, str] | None = None) -> str:
    """One paragraph: the documents do not say X; they mention the topic at [n]; what was searched, and not."""
    near = " ".join(f"[{c.n}]" for c in cits)
    what = ("whether it is so" if asked.polar else _WHAT.get(asked.attribute, "")) if asked else ""
    topical = [c for c in cits if asked and names_attribute(c.quote, asked)]
    if off_topic is not None:
        # A cosine bar is a guess, not a proof ("Who pays the auditor's site visit costs?" sits at 0.34 though
        # the documents discuss site visits): say what was measured, and what may help.
        lead = (f"{ABSTAIN_TEXT} The indexed documents do not seem to cover this topic: the closest passage matches "
                f"the question only weakly (similarity {off_topic:.2f}). If it is about them, the rulebooks' own terms "
                "may find more (they say “validation/verification body” where users say auditor).")
    elif unknown:
        names = " or ".join(f"“{u}”" for u in unknown)
        lead = f"{ABSTAIN_TEXT} No indexed document mentions {names}.{did_you_mean(unknown, meant)}"
    elif what and topical:
        lead = (f"{ABSTAIN_TEXT} The documents searched discuss this topic "
                f"({' '.join(f'[{c.n}]' for c in topical)}) but none of them states {what}.")
    elif what:
        lead = f"{ABSTAIN_TEXT} No passage in the searched documents states {what}."
    else:
        lead = f"{ABSTAIN_TEXT} No passage in the searched documents states it."
    missing = f" {not_indexed_note(unindexed)}" if unindexed else ""
    return f"{lead} {searched_text(searched, docs)}{missing} " + (f"Nearest passages: {near}." if cits else "")


def did_you_mean(unknown: list[str], meant: dict[str, str] | None) -> str:
    """' Did you mean “standard”?' for the unknown names that look like a typo of an indexed word, else ''."""
    hints = [f"“{meant[u]}”" for u in unknown if meant and meant.get(u)]
    return f" Did you mean {' or '.join(hints)}?" if hints else ""


def searched_text(searched: list[str], docs: dict[str, dict], most: int = 5) -> str:
    """'Searched 2 document(s): A, B.', or for more than `most` a count per issuer (16 titles are a wall of text)."""
    if len(searched) <= most:
        titles = ", ".join(docs.get(d, {}).get("title", d) for d in searched)
        return f"Searched {len(searched)} document(s): {titles}."
    counts: dict[str, int] = {}
    for d in searched:
        issuer = docs.get(d, {}).get("issuer") or "other issuers"
        short = issuer.split(",")[0].split("(")[0].strip()  # "UNFCCC, CDM Executive Board" -> "UNFCCC"
        counts[short] = counts.get(short, 0) + 1
    parts = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"Searched {len(searched)} documents ({parts})."


def low_confidence_note(confidence: float, low: float) -> str | None:
    """A warning for an answer given although P(the corpus answers) is under `low`, else None."""
    if confidence >= low:
        return None
    return (f"low confidence ({confidence:.2f}): most answers this unsure on the dev questions were to questions "
            "the documents do not answer; check that a quoted sentence states what you asked")


def reported_confidence(support: float, bar: float, abstained: bool, off_topic: bool = False) -> float:
    """P(the corpus answers) as the answer reports it: under the bar whenever it declines.

    A decline by rule (no sentence states the fee's amount; the LLM found nothing) can follow a model
    P of 0.99 that the topic is covered, and "0.99" beside "the corpus does not answer" reads as a
    contradiction. Capped just under the bar, such declines also rank below every answer (dev 680:
    17 of 19 were near misses; answerability AUC 0.834 -> 0.837). An off-topic question is not one
    the corpus answers, whatever the in-domain model says.
    """
    if off_topic:
        return 0.0
    return min(support, 0.99 * bar) if abstained else support
