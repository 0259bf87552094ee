"""Text helpers shared by retrieval and answering: tokens, stop words, acronyms."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves shall may must per via within without upon whether
tell explain describe say says said according document documents corpus please give list does
""".split())
_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-/][a-z0-9]+)*")


# Part of the BM25 cache key (lexical.bm25_cache_dir): a cached index tokenised by other rules is stale.
TOKENIZER_VERSION = "2"


def _stem(tok: str) -> str:
    """A light plural/suffix fold so 'adjustments' meets 'adjustment' and 'partnerships' meets 'partner'."""
    if len(tok) > 8 and tok.endswith(("ship", "ships")):
        return tok[: tok.rindex("ship")]
    if len(tok) > 4 and tok.endswith("ies"):
        return tok[:-3] + "y"
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith(("ss", "us", "is")):
        return tok[:-1]
    return tok


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens for BM25; clause numbers like 3.11.2 and ISO 14064-2 stay whole."""
    return list(_tokens(text))


@lru_cache(maxsize=1 << 15)
def _tokens(text: str) -> tuple[str, ...]:
    """tokenize, remembered: the answer step meets the same sentences in its pre-score and its features."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if tok in STOP:
            continue
        out.append(_stem(tok))
        if any(c in tok for c in ".-/") and not tok[0].isdigit():
            out.extend(_stem(p) for p in re.split(r"[.\-/]", tok) if p and p not in STOP)
    return tuple(out)


def content_words(text: str) -> list[str]:
    """Distinct query terms that carry meaning."""
    seen, out = set(), []
    for tok in tokenize(text):
        if tok not in seen and (len(tok) > 1 or tok.isdigit()):
            seen.add(tok)
            out.append(tok)
    return out


_FUNCTION = {"of", "for", "and", "the", "to", "in", "on", "under", "a", "an", "&"}
_PAREN_ACR = re.compile(r"\(([A-Z][A-Za-z0-9\-]{1,9})\)")
# "nuclear power (including Small Modular Reactors SMR 53)": pypdf lost the brackets. Without them only a
# long form in capitals counts ("carried out prior to COP" spells COP too).
_BARE_ACR = re.compile(r"(?<=[a-z]) ([A-Z][A-Z0-9]{1,7}s?)\b(?! *\()")


def _long_form(before: str, acr: str) -> str | None:
    """Walk back from '(ACR)' over the words whose initials spell the acronym."""
    letters = re.sub(r"[^A-Za-z0-9]", "", acr)
    if acr.endswith("s") and acr[:-1].isupper():
        letters = letters[:-1]
    letters = letters.upper()
    words = re.split(r"[\s,\-/]+", before.strip())[-12:]
    taken: list[str] = []
    inits = ""
    for w in reversed(words):
        if not w:
            continue
        taken.insert(0, w)
        if w.lower() in _FUNCTION:
            continue
        inits = w[0].upper() + inits
        if inits == letters:
            return " ".join(taken)
        if not letters.endswith(inits):
            return None
    return None


def learn_acronyms(texts: list[str]) -> dict[str, str]:
    """Acronym -> long form, learnt from 'Long Form (LF)' patterns anywhere in the corpus."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for text in texts:
        flat = text.replace("\n", " ")
        for rx in (_PAREN_ACR, _BARE_ACR):
            for m in rx.finditer(flat):
                acr = m.group(1)
                if sum(c.isupper() for c in acr) < 2:
                    continue
                long = _long_form(flat[max(0, m.start() - 160): m.start()], acr)
                if long and (rx is _PAREN_ACR or _capitalised(long)):
                    key = acr[:-1] if acr.endswith("s") and acr[:-1].isupper() else acr
                    votes[key][long] += 1
    return {acr: forms.most_common(1)[0][0] for acr, forms in votes.items()}


def _capitalised(long: str) -> bool:
    """Two or more words, each capitalised but the function words ('Small Modular Reactors')."""
    words = long.split()
    return len(words) >= 2 and all(w[:1].isupper() for w in words if w.lower() not in _FUNCTION)


def says_long_form(long: str, low: str) -> bool:
    """True when the lower-cased text holds the long form, or its singular ('small modular reactor')."""
    form = long.lower()
    if form in low:
        return True
    return form.endswith("s") and form[:-1] in low and re.search(rf"\b{re.escape(form[:-1])}\b", low) is not None


def expand_query(query: str, acronyms: dict[str, str]) -> str:
    """Add the long form of each acronym in the query, and the acronym of each long form."""
    extra = []
    for acr, long in acronyms.items():
        if re.search(rf"\b{re.escape(acr)}s?\b", query):
            if not says_long_form(long, query.lower()):
                extra.append(long)
        elif says_long_form(long, query.lower()):
            extra.append(acr)
    return query + (" (" + "; ".join(extra) + ")" if extra else "")


def weighted_coverage(weights: dict[str, float], toks: set[str]) -> float:
    """IDF-weighted share of the weighted terms present in toks (0 when they weigh nothing)."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in toks) / total if total else 0.0


def token_overlap(a: str, b: str) -> float:
    """Jaccard overlap of two texts' token sets: near 1 for near-duplicates (overlapping chunks repeat text)."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return len(ta & tb) / max(1, len(ta | tb))


def token_containment(a: str, b: str) -> float:
    """Share of a's tokens that b also has: how much of a sentence a source sentence covers."""
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return len(ta & tb) / max(1, len(ta))


# A table of contents' leaders ("Registration ........ 15", "SCOPE ______ 4"); they also cost LLM prompt tokens.
LEADERS = re.compile(r"(?:\.\s?){6,}|…{3,}|_{6,}")
SENTENCE_END = re.compile(r"[a-z0-9)][.;:](\s|$)")  # prose ends like a sentence; a heading or contents line does not


def front_matter(text: str) -> bool:
    """True for a cover page or a contents listing: it names every topic and states none.

    A cover ("CLEAN DEVELOPMENT MECHANISM / Glossary / CDM terms") is a few short title lines with
    no sentence; a contents chunk is a run of dot-leader lines.
    """
    words = text.split()
    if len(words) < 25 and not SENTENCE_END.search(text):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(words) <= 6 * len(lines):  # title lines, not a fragment of prose
            return True
    return len(LEADERS.findall(text)) >= 3
