"""Country and language names, from pycountry's ISO 3166 and ISO 639 tables: what "which countries" asks for.

"Which countries have declared a climate emergency?" is not answered by "3 per cent of Parties declared
a climate emergency": the answer names countries. pycountry carries the ISO tables offline; a list typed
by hand would miss "Viet Nam" or "Côte d'Ivoire" and age with every renamed state.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Names the corpus and its readers use that the ISO tables do not hold.
_EXTRA = {"country": ("USA", "UK", "Russia", "South Korea", "Vietnam", "Turkey", "Ivory Coast"),
          "language": ()}


def _forms(name: str) -> set[str]:
    """An ISO name and its short forms: 'Korea, Republic of' -> Korea; 'Malay (macrolanguage)' -> Malay."""
    return {name, name.split(",")[0].strip(), name.split(" (")[0].strip()}


@lru_cache(maxsize=None)
def _pattern(kind: str) -> re.Pattern:
    """One regex over every name of a kind ('country' or 'language'), longest first, case-sensitive."""
    import pycountry

    names: set[str] = set(_EXTRA[kind])
    if kind == "country":
        for c in pycountry.countries:
            for n in (c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")):
                if n:
                    names |= _forms(n)
    else:
        for lang in pycountry.languages:
            if hasattr(lang, "alpha_2"):  # the ~180 major languages, not 7,000 ISO 639-3 entries
                names |= _forms(lang.name)
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")


def names_in(text: str, kind: str) -> list[str]:
    """The country or language names a text contains, in order of appearance."""
    return [m.group(1) for m in _pattern(kind).finditer(text)]
