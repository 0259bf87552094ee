"""A question naming two or more instruments: each one's provisions side by side, or its silence said."""
from __future__ import annotations

from typing import Callable

from assistant.answering.question import Asked
from assistant.answering.lists import list_of
from assistant.answering.joining import bridged, distinct, with_follow_on, with_next
from assistant.answering.quotes import Sentence, cite, whole_sentence
from assistant.answering.scoring import select, with_value_neighbour
from assistant.models import Citation, Passage
from assistant.retrieval.fusion import family_name


def read_quotes(chosen: list[tuple[float, Sentence]], asked: Asked,
                back: Callable[[Passage], tuple[Passage, int] | None] | None = None,
                more: Callable[[Passage], Passage | None] | None = None) -> list[tuple[float, Sentence]]:
    """What the chosen sentences quote, each read whole: from its start where its chunk cut it, with the
    sentences that qualify or carry it on, on into its list (or, for an item, its whole list), the best one
    with its neighbour stating the value asked, each with the next sentence of its clause; repeats and
    overlaps merged, and two quotes of one passage a short gap apart joined."""
    return bridged(distinct([(p, with_next(with_follow_on(with_value_neighbour(y, asked) if k == 0 else y), more))
                     for p, x in chosen
                     for k, y in enumerate(list_of(with_follow_on(whole_sentence(x, back)), more, back))]))


def side_by_side(families: dict[str, list[str]], scored: list[tuple[float, Sentence]], raw: dict[int, float],
                 asked: Asked, min_score: float, per_family: int = 2, relative: float = 0.6,
                 more: Callable[[Passage], Passage | None] | None = None,
                 back: Callable[[Passage], tuple[Passage, int] | None] | None = None,
                 titles: dict[str, tuple[str, str | None]] | None = None) -> tuple[str, list[Citation]]:
    """'Name: quote [n] …' for each named family, or 'Name: none of the passages found states this.'

    A family has no answer when its best sentence's own probability (`raw`, by id of the sentence; the
    passage stack ranks families against each other, which this must not depend on) is under
    `min_score`. Up to `per_family` of its sentences are quoted, runners-up at `relative` of its best.
    The cell says what was found, not that the instrument is silent: on dev (609 questions, out of fold)
    15 of the 23 instruments under the floor do state the provision (a page of theirs is gold evidence).
    Their closest sentence is not cited: cited, it lowered citation precision on 6 dev answers and
    sat on a gold page in none of them. `titles` (document id -> title, version) name a family that
    is one document.
    """
    parts: list[str] = []
    cits: list[Citation] = []
    for fam, docs in families.items():
        hits = [(p, x) for p, x in scored if x.passage.doc_id in docs]
        name = family_name(fam, *(titles or {}).get(fam, ("", None)))
        if not hits or raw.get(id(hits[0][1]), hits[0][0]) < min_score:
            parts.append(f"{name}: none of the passages found states this.")
            continue
        chosen = select(hits, per_family, relative, floor=0.0, other_page=relative)
        # as in a plain answer: a list or a sentence the page break cut reads on as a second quote
        quotes = read_quotes(chosen, asked, back, more)
        cell = [cite(len(cits) + i + 1, x, p) for i, (p, x) in enumerate(quotes)]
        cits.extend(cell)
        parts.append(f"{name}: " + " ".join(f"{c.quote} [{c.n}]" for c in cell))
    return " ".join(parts), cits
