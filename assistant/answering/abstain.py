"""The abstention message: say what was looked for and not found, then point at the nearest passages."""
from __future__ import annotations

from assistant.answering.question import Asked, names_attribute

ABSTAIN_TEXT = "The corpus does not answer this question."

# What a user is told is missing, per asked attribute (see question._ATTRIBUTES).
_WHAT = {
    "fee": "the amount of the fee or charge", "penalty": "the penalty", "percent": "the percentage",
    "deadline": "the time limit", "duration": "the period", "date": "the date", "body": "which body is responsible",
    "count": "the number", "amount": "the figure",
}


def abstain_text(asked: Asked | None, cits, searched: list[str], docs: dict[str, dict]) -> str:
    """One paragraph: the documents do not say X; they mention the topic at [n]; what was searched."""
    names = ", ".join(docs.get(d, {}).get("title", d) for d in searched[:20])
    more = f" and {len(searched) - 20} more" if len(searched) > 20 else ""
    near = " ".join(f"[{c.n}]" for c in cits)
    what = _WHAT.get(asked.attribute, "") if asked else ""
    topical = [c for c in cits if asked and names_attribute(c.quote, asked)]
    if what and topical:
        lead = (f"{ABSTAIN_TEXT} The documents searched discuss this topic "
                f"({' '.join(f'[{c.n}]' for c in topical)}) but none of them states {what}.")
    elif what:
        lead = f"{ABSTAIN_TEXT} No passage in the searched documents states {what}."
    else:
        lead = f"{ABSTAIN_TEXT} No passage in the searched documents states it."
    return (f"{lead} Searched {len(searched)} document(s): {names}{more}. "
            + (f"Nearest passages: {near}." if cits else ""))
