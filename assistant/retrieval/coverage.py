"""Listed but not indexed: the manifest's documents that a question names and the index does not hold.

The JCM rules, the India–Japan MoC, India's and Japan's NDCs and the CCTS notifications are listed
with their official URLs but could not be fetched where the corpus was built. "Who approves
methodologies under the JCM?" is then asked of documents that only mention the JCM; the user must
be told that the instrument's own text was not searched, and what to fetch.
"""
from __future__ import annotations

import re

from ingest.manifest import DocumentEntry

# What users call the instruments of each category; "ndc" is every country's, so an NDC is named
# only with its country ("India's NDC", "Japanese NDC").
CATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    "jcm-rules": ("jcm", "joint crediting mechanism"),
    "jcm-moc": ("jcm", "joint crediting mechanism", "memorandum of cooperation"),  # not "MoC": the CDM's is another
    "ccts": ("ccts", "carbon credit trading scheme", "carbon credit trading", "indian carbon market"),
    "ndc": ("ndc", "ndcs", "nationally determined contribution", "nationally determined contributions"),
}
NEEDS_COUNTRY = {"ndc"}
_DEMONYM = {"india": ("india", "india's", "indian"), "japan": ("japan", "japan's", "japanese")}
# Names from titles: a decision's code ("Decision 2/CMA.3"); a title that is the instrument's own name
# ("Paris Agreement", not "… of the Paris Agreement"); the article a decision gives guidance on.
_CODE = re.compile(r"\b\d+/cma\.\d+\b")
_OWN_NAME = ("paris agreement", "energy conservation (amendment) act", "energy conservation act")
_ON_ARTICLE = {"article 6, paragraph 2": ("article 6.2", "article 6, paragraph 2", "article 6 paragraph 2")}


def names_of(entry: DocumentEntry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names a user may call the document by, country words one of which must also appear; empty: none needed)."""
    title = entry.title.lower()
    names = list(CATEGORY_NAMES.get(entry.category, ()))
    own = title.removeprefix("the ")
    names += _CODE.findall(title) + [n for n in _OWN_NAME if own.startswith(n)]
    names += [n for phrase, ns in _ON_ARTICLE.items() if phrase in title for n in ns]
    if "energy conservation (amendment) act" in names:
        names.append("energy conservation act")
    countries: tuple[str, ...] = ()
    if entry.category in NEEDS_COUNTRY:
        countries = tuple(w for j in entry.jurisdictions for w in _DEMONYM.get(j.lower(), (j.lower(),)))
    return tuple(dict.fromkeys(names)), countries


def _says(text: str, name: str) -> bool:
    """The lower-cased text holds name as whole words."""
    return re.search(rf"(?<![\w/]){re.escape(name)}(?![\w])", text) is not None


def unindexed_named(topic: str, entries: list[DocumentEntry], indexed: set[str]) -> list[DocumentEntry]:
    """The listed documents the question names that the index does not hold, in manifest order.

    `topic` is the question less the names of the indexed documents it names (`HybridSearch.topic`):
    "the NDC synthesis report" names an indexed report, not an NDC.
    """
    text = topic.lower()
    out = []
    for e in entries:
        if e.id in indexed:
            continue
        names, countries = names_of(e)
        if any(_says(text, n) for n in names) and (not countries or any(_says(text, c) for c in countries)):
            out.append(e)
    return out


def not_indexed_note(entries: list[DocumentEntry]) -> str:
    """One sentence: which named documents were not searched, and how to get them."""
    titles = "; ".join(f"“{e.title}”" for e in entries[:4]) + (f" and {len(entries) - 4} more" if len(entries) > 4 else "")
    return (f"Not searched: {titles}: listed in the manifest but not in the index "
            "(`carbonqa corpus fetch` where a network exists, then `carbonqa ingest`).")
