"""Read a list on from the sentence that introduces it, so a quoted lead-in brings its items.

"Maps, where required shall include:" states nothing by itself: the answer is the items. PDF text
breaks lists in three ways this module reads through:
- the enumerator stands alone ("a." then "The project does not meet …"), or ends the item
  before it ("Name of the project ii.");
- the first item is glued to the lead-in ("… public versions: 1) Determination of …");
- the list runs over a page break, past footnotes and a running header ("5 of 16").
A quote must be verbatim on one page, so the items on the next page become a second quote.
"""
from __future__ import annotations

import re
from typing import Callable

from assistant.answering.quotes import Sentence, read_on, read_past, sentences, span
from assistant.models import Passage

_ENUM = r"\(?(?:\d{1,2}|[a-z]|[ivxl]{2,6})[.)]"
_BULLET = "•●▪■◦\uf0b7\uf0a7\uf0d8–-"
_ITEM = re.compile(rf"^(?:{_ENUM}(?=\s|$)|[{_BULLET}])", re.I)
_ENUM_ONLY = re.compile(rf"^{_ENUM}$", re.I)
_ENDS_ENUM = re.compile(rf"\s{_ENUM}$", re.I)
# The lead-in's colon, alone or with the first enumerator (or the first item) glued after it.
_LEAD = re.compile(rf":\s*(?:({_ENUM})(?:\s+\S.*)?)?$", re.I)
NEXT_PAGE_LOOK = 3  # sentences at the top of the next page (header, page number) searched for the next item
MAX_WORDS = 160
MAX_ITEMS = 12
ITEM_LIST_WORDS = 120  # a list quoted for one chosen item of it: longer ones (a change log) bury the item
ITEM_SENTENCES = 2  # sentences an item may run on for before its successor must come


def _style(enum: str) -> tuple:
    """An enumerator's shape: '(a)' and '(iv)' alike, '1)' unlike '1.' ('3.5.5 The …' is a new clause)."""
    if enum[:1] in _BULLET:
        return ("bullet",)
    core = enum.strip("().")
    return (enum.startswith("("), enum[-1], "digit" if core.isdigit() else "letter")


def _enum_of(text: str) -> str | None:
    """The enumerator that opens text, if any."""
    m = _ITEM.match(text)
    return m.group(0) if m else None


def _lead_style(text: str) -> tuple | None | bool:
    """False when text introduces no list; else the style of an enumerator glued after its colon (or None)."""
    m = _LEAD.search(text)
    if not m:
        return False
    return _style(m.group(1)) if m.group(1) else None


def _opens_list(sent: Sentence, following: list[Sentence]) -> bool:
    """'12.1.4 |A physical site visit by VVB is;' then 'a. not mandatory …': a ';' that introduces a list.

    Some rulebooks (the Gold Standard's, a dozen times) end a lead-in with ';' where ':' is meant, or
    with nothing at all ("… provide following information"). It counts only when the sentence is no
    item itself and the next one on its page opens a list with its first enumerator (a, 1, i); an
    item ending in ';' is followed by the next item instead.
    """
    if _enum_of(sent.text) or not following:
        return False
    nxt = following[0]
    enum = _enum_of(nxt.text) if nxt.page == sent.page else None
    return bool(enum) and enum.strip("().").lower() in ("a", "1", "i")


def _unended(text: str) -> bool:
    """'… shall provide following information' then '(a) A summary …': a lead-in written with no colon."""
    return len(text.split()) >= 6 and not _ENDS_ENUM.search(text) and not re.search(r"[.!?;:,)\]\"”’]\s*$", text)


def _run(lead: Sentence, following: list[Sentence], style, max_words: int) -> tuple[list[Sentence], tuple | None]:
    """The items after lead on its page (and their style), stopping at the first sentence that is none.

    An item ending in ':' opens a sub-list ("1) … demonstrates that:" then "a) …"), read until an
    item of the outer style comes back.
    """
    items: list[Sentence] = []
    words, open_item = len(lead.text.split()), bool(_ENUM_ONLY.search(lead.text.split()[-1]) and style)
    inner, nested = None, False
    for k, x in enumerate(following):
        if x.page != lead.page or words > max_words or len(items) >= MAX_ITEMS:
            break
        enum = _enum_of(x.text)
        shape = _style(enum) if enum else None
        if shape and (style is None or shape == style):
            style, nested = style or shape, False
        elif shape and nested and (inner is None or shape == inner):
            inner = shape
        elif not open_item and not _item_goes_on(items[-1] if items else lead, following[k + 1:], style):
            break
        items.append(x)
        words += len(x.text.split())
        # an item cut inside a bracket ("GPS coordinate system (e.g." / "WGS 84) viii.") goes on
        open_item = bool(_ENUM_ONLY.match(x.text) or _ENDS_ENUM.search(x.text)) or x.text.count("(") > x.text.count(")")
        nested = nested or (shape == style and x.text.rstrip().endswith(":"))
    return items, style


def _runs_in(lead: Sentence, following: list[Sentence], max_words: int) -> bool:
    """'… differentiated into three data vintages:' then 'plants with up to five years …, …': the colon's
    list is written as one run-in sentence in lower case, on the lead-in's page."""
    if not following or following[0].page != lead.page or _enum_of(following[0].text):
        return False
    words = len(lead.text.split()) + len(following[0].text.split())
    return bool(re.match(r"[a-z]", following[0].text)) and words <= max_words


def _successor(enum: str) -> str | None:
    """The enumerator after enum in its own style ('1)' -> '2)', '(b)' -> '(c)'); None for roman or bullets."""
    m = re.match(r"^(\(?)(\d{1,2}|[a-z])([.)])$", enum, re.I)
    if not m:
        return None
    core = m.group(2)
    nxt = str(int(core) + 1) if core.isdigit() else chr(ord(core) + 1)
    return f"{m.group(1)}{nxt}{m.group(3)}"


def _item_goes_on(item: Sentence, rest: list[Sentence], style) -> bool:
    """A sentence without an enumerator inside an item ("1) A delineation … shall occur." then "Such area(s)
    shall be specified by geodetic polygons …" then "2) …"): the list goes on when the next item follows.

    Only within ITEM_SENTENCES sentences on the same page, and only when that item is the successor of the
    last one read ("2)" after "1)"), so a later list of the same style is not run into.
    """
    last = _enum_of(item.text)
    if not last or style is None or _style(last) != style:
        return False
    want = _successor(last)
    for x in rest[:ITEM_SENTENCES]:
        if x.page != item.page:
            return False
        enum = _enum_of(x.text)
        if enum:
            return _style(enum) == style and (want is None or enum.lower() == want.lower())
    return False


def read_list(sent: Sentence, more: Callable[[Passage], Passage | None] | None = None,
              max_words: int = MAX_WORDS) -> list[Sentence]:
    """sent with the list it introduces: one quote on its page, and one for the items on the next page.

    A sentence that introduces no list comes back alone. `more` gives the passage with the next
    chunk of the document joined on, for a list the chunk cuts off. The list is read on over the
    page break only when it ran to the foot of the page, or when nothing but footnotes followed
    the lead-in there; and only into an item of the same style among the next page's first lines.
    """
    style = _lead_style(sent.text)
    open_lead = style is False and (sent.text.rstrip().endswith(";") or _unended(sent.text))
    if style is False and not open_lead:
        return read_on(sent, more)
    if open_lead:
        if not _opens_list(sent, [x for x in sentences(sent.passage) if x.offset > sent.offset]):
            return read_on(sent, more)
        style = None
    body, following = read_past(sent, more)
    items, style = _run(sent, following, style, max_words)
    if not items and _runs_in(sent, following, max_words):
        return [span(sent, following[0], body)]
    out = [span(sent, items[-1], body) if items else sent]
    on_page = [x for x in following if x.page == sent.page]
    if items and len(items) < len(on_page):
        return out  # the list ended on its page
    top = [x for x in following if x.page == sent.page + 1][:NEXT_PAGE_LOOK]
    start = next((x for x in top if (e := _enum_of(x.text)) and (style is None or _style(e) == style)), None)
    if start is None:
        return out
    used = sum(len(x.text.split()) for x in [sent, *items])
    after = [x for x in following if x.offset > start.offset]
    rest, _ = _run(start, after, style or _style(_enum_of(start.text)), max_words - used)
    out.append(span(start, rest[-1], body) if rest else start)
    return out


def extend_lead_in(sent: Sentence, more: Callable[[Passage], Passage | None] | None = None) -> Sentence:
    """sent with the items of the list it introduces that follow on its own page (one verbatim quote)."""
    return read_list(sent, more)[0]


def _lead_of(item: Sentence, before: list[Sentence]) -> Sentence | None:
    """The sentence that introduces the list item belongs to, read back over its earlier items on its page."""
    style, run = _style(_enum_of(item.text)), 0
    for x in reversed(before):
        if x.page != item.page:
            return None
        enum = _enum_of(x.text)
        if enum and _style(enum) == style:
            run = 0  # an earlier item of the same list
            continue
        if _lead_style(x.text) is not False or (not enum and (x.text.rstrip().endswith(";") or _unended(x.text))):
            return x
        run += 1  # a sentence an earlier item runs on for
        if enum or run > ITEM_SENTENCES:
            return None
    return None


def list_of(sent: Sentence, more: Callable[[Passage], Passage | None] | None = None,
            back: Callable[[Passage], tuple[Passage, int] | None] | None = None,
            max_words: int = MAX_WORDS) -> list[Sentence]:
    """An item's whole list from its lead-in ("A review may be triggered by: 1) … 4) …"), else read_list(sent).

    Asked what can trigger a review, the answer model picks "3) A stakeholder has concerns …": the one item
    it scores best, while the question wants all four. The lead-in is quoted with its items only when
    the list as read from it still holds the item (on its page, within max_words). Where the item's chunk
    starts inside the list, `back` (the previous chunk with this one joined on) holds the lead-in.
    """
    if not _enum_of(sent.text):
        return read_list(sent, more, max_words)
    lead = _lead_of(sent, [x for x in sentences(sent.passage) if x.offset < sent.offset])
    got = back(sent.passage) if lead is None and back is not None else None
    if got is not None:
        joined, start = got
        here = [x for x in sentences(joined) if x.offset < start + sent.offset]
        lead = _lead_of(sent, here)
    if lead is not None:
        whole = read_list(lead, more, ITEM_LIST_WORDS)
        if len(whole[0].text) > len(lead.text) and sent.text in whole[0].text:
            return whole
    return read_list(sent, more, max_words)
