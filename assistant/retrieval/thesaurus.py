"""Users' words for the rulebooks' terms: "auditor" for validation/verification body, "pledge" for NDC.

Written from the domain, not from the question set: each line pairs a plain-language phrase with
the term of art the documents use for it. The acronyms the corpus defines itself are learned at
index time (`text.learn_acronyms`); these are the ones it never spells out because its readers
already know them. An expansion is added only when the question lacks every word of it, so a
question in the rulebook's own words is searched as written.
"""
from __future__ import annotations

import re

from assistant.retrieval.text import tokenize

# (what a user writes, what the documents say)
_PAIRS: list[tuple[str, str]] = [
    (r"auditors?|verifiers?|validators?|certifiers?", "validation/verification body VVB"),
    (r"consultan(ts?|cy|cies)", "authorized representative"),
    (r"(climate )?pledges?|climate (targets?|commitments?)", "nationally determined contribution NDC"),
    (r"forest(ry)? (carbon )?projects?|tree[- ]planting|planting trees|woodland", "AFOLU ARR afforestation reforestation"),
    (r"(carbon )?offsets?", "credits emission reductions"),
    (r"double[- ]count(ing|ed)?|counted twice|claimed twice", "double claiming double counting"),
    (r"complaints?|disputes?", "grievance"),
    (r"(public|local|community) (meetings?|consultations?|hearings?)", "stakeholder consultation"),
    (r"(leave|quit|exit|drop out of|withdraw from) (the )?(program(me)?|registry|scheme)", "withdrawal deregistration"),
    (r"(cancel(led|ling)?|void(ed)?) (credits?|units?)", "cancellation invalidation"),
    (r"(host[- ]country|government) (approval|sign[- ]off|consent)", "letter of authorization letter of approval"),
    (r"India'?s? carbon market|Indian carbon market", "Carbon Credit Trading Scheme CCTS"),
    (r"(start|starting) (earning|generating) credits|first credits", "crediting period start date"),
    (r"reserve (pool|account)|insurance pool", "buffer"),
    (r"blacklist(ed)?|ban(ned)?|suspen(d|ded|sion)", "sanctions suspension"),
    (r"small (projects?|scale)|micro[- ]?(projects?|scale)", "small-scale microscale"),
    (r"cookers?|stoves?", "cookstoves"),
    (r"baseline (emissions )?(calculation|method)", "baseline methodology"),
    (r"paperwork|forms?|templates?", "documentation template"),
    (r"(keep|kept|store|retain|hold on to) (the |our |all )?(data|records|documents|evidence)|record[- ]keeping",
     "archived kept retained"),
    (r"outside (the |its |our |their )?(project )?(area|boundary|boundaries)", "leakage"),
    (r"(verra|vcs) credits?", "VCUs verified carbon units"),
    (r"gold standard credits?", "GSVERs"),
    (r"GS4GG", "Gold Standard for the Global Goals"),
]
_RULES = [(re.compile(rf"\b({p})\b", re.I), terms, set(tokenize(terms))) for p, terms in _PAIRS]


def expansions(query: str) -> list[str]:
    """The documents' terms for the plain-language phrases of a query that lacks them."""
    toks = set(tokenize(query))
    return [terms for rx, terms, term_toks in _RULES if rx.search(query) and not term_toks & toks]


def plus_terms(query: str) -> str:
    """The query followed by the documents' terms for its plain-language phrases (BM25 reads both)."""
    return " ".join([query] + expansions(query))
