"""Actor vocabularies per document family: a subject noun phrase becomes one small set of names."""
from __future__ import annotations

import re

# (pattern anchored at the end of the subject's noun phrase, canonical name); first match wins.
_COMMON = [
    (r"validation/verification bod(?:y|ies)|vvbs?|auditors?|validation and verification bod(?:y|ies)", "VVB"),
    (r"designated operational entit(?:y|ies)|does?", "DOE"),
    (r"project proponents?|proponents?", "project proponent"),
    (r"project developers?|project owners?|developers?", "project developer"),
    (r"project participants?|participants?", "project participant"),
    (r"methodology developers?", "methodology developer"),
    (r"registry administrators?", "registry administrator"),
    (r"article 6(?: secretariate?)?", "Article 6 Secretariat"),
    (r"(?:cdm )?executive board|board", "Executive Board"),
    (r"(?:unfccc )?secretariat|secretariate", "secretariat"),
    (r"verra", "Verra"),
    (r"(?:the )?gold standard(?: foundation| secretariat)?|sustaincert", "Gold Standard"),
    (r"national authori[sz]ing body|nab", "NAB"),
    (r"host part(?:y|ies)|host countr(?:y|ies)|designated national authorit(?:y|ies)|dnas?", "host Party"),
    (r"(?:central |state )?government", "government"),
    (r"obligated entit(?:y|ies)", "obligated entity"),
    (r"part(?:y|ies)", "Party"),
    (r"stakeholders?", "stakeholder"),
    (r"(?:[\w/&-]+ )?projects?(?: activit(?:y|ies))?|(?:[\w/&-]+ )?project activit(?:y|ies)"
     r"|(?:[\w/&-]+ )?(?:poas?|cpas?|vpas?|programmes?|programs? of activities)", "project"),
]
_ANY = re.compile(r"\b(?:" + "|".join(f"(?:{p})".replace("(?:[\\w/&-]+ )?", "") for p, _ in _COMMON) + r")\b", re.I)
_COMPILED = [(re.compile(rf"(?:^|\b)(?:{p})$", re.I), name) for p, name in _COMMON]
# Nouns that name a person or body (so the subject is an actor, just not one in the vocabulary).
_ANIMATE = re.compile(
    r"\b(observer|monitor|user|applicant|entity|entities|authority|authorities|body|bodies|owner|buyer|"
    r"reader|person|organi[sz]ation|committee|operator|expert|manager|team|member|community|communities|"
    r"ministry|department|agency|administrator|[A-Z]{2,5}s?)$")
_PROPONENT = {"verra": "project proponent", "article6": "project proponent", "gold-standard": "project developer",
              "cdm": "project participant", "unfccc": "project participant"}

FAMILY_ACTORS = {
    "verra": ["project proponent", "VVB", "Verra", "methodology developer", "registry administrator", "stakeholder"],
    "gold-standard": ["project developer", "VVB", "Gold Standard", "stakeholder"],
    "cdm": ["project participant", "DOE", "Executive Board", "secretariat", "host Party"],
    "article6": ["project proponent", "VVB", "DOE", "Article 6 Secretariat", "NAB", "host Party"],
    "india": ["government", "obligated entity", "Party"],
    "unfccc": ["Party", "host Party", "secretariat"],
}
GENERIC = ["project", "other", "unspecified"]


def family_of(doc_id: str, issuer: str = "", category: str = "") -> str:
    """The document family (verra, gold-standard, cdm, article6, india, unfccc, other) from id and issuer."""
    text = f"{doc_id} {issuer} {category}".lower()
    for fam, keys in (("verra", ("verra", "vcs")), ("gold-standard", ("gold-standard", "gold standard")),
                      ("cdm", ("cdm-", "cdm executive")), ("article6", ("article6", "itmo")),
                      ("india", ("india", "ccts", "bee-")), ("unfccc", ("unfccc", "fccc", "paris"))):
        if any(k in text for k in keys):
            return fam
    return "other"


def vocabulary(family: str) -> list[str]:
    """The actor names a family's register can contain."""
    return FAMILY_ACTORS.get(family, sorted({a for v in FAMILY_ACTORS.values() for a in v})) + GENERIC


def normalise_actor(noun_phrase: str, family: str) -> str:
    """Canonical actor of a subject noun phrase: vocabulary name, 'other' for a named body, else 'unspecified'."""
    np = " ".join(noun_phrase.replace("’", "'").split()).strip(" ,;:-–()")
    np = re.sub(r"^(?:the|a|an|all|any|each|every|such|these|those|this|its|their)\s+", "", np, flags=re.I)
    if not np:
        return "unspecified"
    for pat, name in _COMPILED:
        if pat.search(np):
            if name in ("project developer", "project proponent", "project participant"):
                return _PROPONENT.get(family, name)
            return name
    return "other" if _ANIMATE.search(np) else "unspecified"


def canonical_query_actor(text: str, family: str | None = None) -> str:
    """A user's --actor text ('vvb', 'Project Proponent') in the register's spelling, or the text itself."""
    t = text.strip()
    for name in sorted({a for v in FAMILY_ACTORS.values() for a in v} | set(GENERIC)):
        if t.lower() == name.lower():
            return name
    got = normalise_actor(t, family or "other")
    return got if got not in ("unspecified", "other") else t


def first_actor(text: str, family: str) -> str | None:
    """The leftmost vocabulary actor named in a text (for a pronoun's antecedent), or None."""
    for m in _ANY.finditer(text):
        if m.group(0).islower() and m.group(0) in ("does", "doe"):
            continue  # the verb, not a designated operational entity
        got = normalise_actor(m.group(0), family)
        if got not in ("other", "unspecified"):
            return got
    return None
