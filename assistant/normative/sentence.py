"""Normative sentences: modality, actor, action, deadline, condition and references, by rule (no I/O)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.normative.actors import normalise_actor

_NEG = r"(?:not|never)"
# (modality, pattern); the earliest match in the main clause decides, ties go to the longer match.
_MODALS = [
    ("prohibition", rf"\b(?:shall|must|may(?!\s+\d)|can)\s+{_NEG}\b|\bcannot\b|\b(?:is|are)\s+not\s+(?:permitted|allowed)\s+to\b"
                    r"|\b(?:is|are)\s+prohibited\s+from\b"),
    ("duty", r"\bshall\b|\bmust\b|\b(?:is|are|be|being)\s+required\s+to\b|\b(?:has|have)\s+to\b|\bneeds?\s+to\b"
             r"|\b(?:is|are)\s+obliged\s+to\b"),
    ("permission", r"\bmay\b(?!\s+\d)|\bcan\b|\b(?:is|are)\s+(?:permitted|allowed|entitled)\s+to\b"),
    ("recommendation", r"\bshould\b|\bis\s+recommended\s+to\b"),
]
_MODAL_RE = [(m, re.compile(p, re.I)) for m, p in _MODALS]
_DEFINITION = re.compile(r"\b(?:shall mean|means|refers to|is defined as|are defined as)\b", re.I)
_THIS_MEANS = re.compile(r"^(?:this|that)\s+means\s+(?:that\s+)?", re.I)
_EDITORIAL = re.compile(
    r"^(?:updated|added|clarified|removed|revised|new (?:rules|requirements?|section)|introduced|moved|deleted|"
    r"corrected|replaced|expanded|amended|section [\w.]+(?: has been| was)? (?:updated|added|revised|amended))\b"
    r"|\b(?:should|may|must|can) be read\b|\breaders? (?:must|should|may)\b|\bshould be substituted\b"
    r"|\bthis document\b[^.]{0,80}\bshould not be used\b|\b(?:we|i|you)\s+(?:may|can|should|must|will|shall)\b"
    r"|\bhas been updated to\b|\bwas updated to\b"
    r"|^section\s+[\w.]+\s*:\s*(?:updated|added|clarified|new|revised|removed)\b", re.I)
_PREFIX = re.compile(
    r"^(?:[•●▪■◦\-–]\s*|\(?[a-z]{1,3}\)\s*|\(?[ivx]{1,5}\)\s*|\d+\)\s*|[A-Z]?\d+(?:\.\d+)*\.?\s*(?:\|\s*)?"
    r"|(?:Note|Notes|Likewise|However|Furthermore|Moreover|In addition|Additionally|Therefore|Accordingly|Thus|"
    r"Alternatively|Also|Please note that|Note that|For example|For instance|In particular|Specifically|Then|"
    r"Similarly|Consequently)\s*[,:–-]?\s*)+")
_COND_LEAD = re.compile(r"^(?:even\s+)?(?:where|if|when|whenever|unless|in the case of|in case of|in cases where|"
                        r"in specific cases of|in the event (?:of|that)|provided that|as long as)\b", re.I)
_COND_MID = re.compile(r"(?:^|[\s,(–-])((?:where|if|unless|as long as|provided that|in the event that|except where)\b)")
_PARTICIPLE = re.compile(
    r"^(?:\w+(?:ed|en)|made|set|shown|held|sought|done|met|kept|paid|sent|found|built|put|read|spent|brought|"
    r"bought|told|understood|drawn|withdrawn|undertaken|known|seen|laid|led|left|lost|won|sold|split|cut|run|"
    r"begun|issued|included|applied|used)$", re.I)
_NOT_PARTICIPLE = {"open", "even", "often", "given", "between", "seen", "eligible", "required", "needed",
                   "deemed"}
_POSSIBILITY_VERB = re.compile(
    r"^(?:also\s+|only\s+|then\s+|still\s+)*(?:be\s+(?:subject|able|possible|necessary|viable|workable|useful|"
    r"difficult|lower|higher|greater|more|less|an?|the|in\b|found|due|because|affected|caused|associated)|"
    r"increase|decrease|occur|result|lead|cause|vary|differ|encounter|serve|work|affect|reduce|rise|fall|"
    r"arise|happen|change|include|contain|exist|help|exceed|become|take|have|appear|seem|involve|remain|"
    r"represent|provide|mean|prove|offer|make|pose|see|face|find|benefit|contribute)\b", re.I)
_PLEONASTIC = re.compile(r"^(?:there|this|that|these|it|which|who|such|some|many|one)\b", re.I)


@dataclass
class Normative:
    """The parts of one normative sentence."""

    modality: str          # duty | prohibition | permission | recommendation
    modal: str             # the modal as written ("shall not", "is required to")
    actor: str             # normalised actor, 'other' or 'unspecified'
    actor_surface: str     # the subject (or 'by' agent) as written
    action: str            # the predicate from the modal on, trimmed
    deadline: str | None = None
    condition: str | None = None
    references: list[str] = field(default_factory=list)


def strip_prefix(text: str) -> str:
    """The sentence without list markers, clause numbers and discourse openers ('Note –', 'However,')."""
    out = text.strip()
    for _ in range(3):
        m = _PREFIX.match(out)
        if not m or m.end() == 0:
            break
        out = out[m.end():].lstrip()
    return out


def is_definition(text: str) -> bool:
    """'X means …' / 'X refers to …' / 'shall mean' before any modal: a definition, not an obligation."""
    body = _THIS_MEANS.sub("", strip_prefix(text))
    m = _DEFINITION.search(body)
    if not m:
        return False
    first = find_modal(body)
    return first is None or m.start() < first[1] or "shall mean" in m.group(0).lower()


def find_modal(text: str, start: int = 0) -> tuple[str, int, int] | None:
    """(modality, start, end) of the earliest modal at or after `start`; longer matches win ties."""
    best = None
    for modality, rx in _MODAL_RE:
        m = rx.search(text, start)
        if m and (best is None or m.start() < best[1] or (m.start() == best[1] and m.end() > best[2])):
            best = (modality, m.start(), m.end())
    return best


_NP_CUT = re.compile(
    r"\s(?:of|that|which|who|whose|with|in|for|under|on|from|at|within|to|including|included|available|"
    r"applying|seeking|using|as|where|when|if|suggested|located|referred|described|listed|selected|approved|"
    r"provided|deposited|would|will|could|whereas)\b|\s(?-i:[a-z])\w{2,}ing\b", re.I)
_FINITE = re.compile(r"\s(?:is|are|was|were|has|have|had|becomes?|includes?)\s", re.I)
_BOUNDARY = re.compile(r",\s|;\s|:\s|\s[–—-]\s|\s\|\s")
_PRONOUNS = {"they", "it", "he", "she", "them"}
_REGULATED = re.compile(r"(?:methodolog(?:y|ies)|tools?|project descriptions?|monitoring (?:plans?|reports?)|"
                        r"pdds?|design documents?)$", re.I)
_NOT_POSSIBLE_PASSIVE = {"found", "seen", "expected", "affected", "caused", "associated", "explained", "observed",
                         "attributed", "achieved", "influenced", "driven", "transported", "considered as"}
_AGENT = re.compile(r"\bby\s+(?:to\s+)?((?:the|a|an|its|their)?\s*[^,;()]+?)(?=[,;().:]|\s+(?:and|or|to|for|in|on|at|"
                    r"with|before|after|within|as|where|if|unless|using|through|prior)\b|$)", re.I)


def _lead_condition(body: str) -> tuple[str | None, str]:
    """Split a leading 'Where/If … ,' clause off: (condition, main clause)."""
    if not _COND_LEAD.match(body):
        return None, body
    pos = 0
    while True:
        hit = find_modal(body, pos)
        if hit is None:
            return body.rstrip(" ."), ""
        comma = body.rfind(", ", 0, hit[1])
        if comma > 0 and len(body[comma:hit[1]].split()) <= 14:
            main = re.sub(r"^then\s+", "", body[comma + 2:].lstrip(), flags=re.I)
            return body[:comma].strip(), main
        pos = hit[2]


def _subject(main: str, at: int) -> str:
    """The noun phrase before the modal, cut to its head ('The number of X' -> 'The number')."""
    segs = _BOUNDARY.split(main[:at])
    seg = segs[-1].strip()
    if not seg and len(segs) > 1:
        seg = segs[-2].strip()
    fin = _FINITE.search(" " + seg + " ")
    if fin and re.search(r"\band\s*$", seg):
        seg = seg[: max(0, fin.start() - 1)]
    cut = _NP_CUT.search(" " + seg)
    if cut and cut.start() > 0:
        seg = seg[: cut.start() - 1]
    return seg.strip(" ,(").strip()


def _passive(after: str) -> tuple[bool, str]:
    """(is passive, participle) for the words after the modal ('be submitted by …')."""
    m = re.match(r"\s*(?:(?:not|never|also|only|then|still|either|further|always|first|subsequently|"
                 r"conservatively|separately|directly|transparently|ex\s+post)\s+)*be\s+(?:\w+ly\s+)?(\w+)", after, re.I)
    if not m:
        return False, ""
    word = m.group(1).lower()
    return bool(_PARTICIPLE.match(word)) and word not in _NOT_PARTICIPLE, word


def _pronoun_actor(text_before: str, family: str) -> str:
    """The first actor named before a pronoun subject ('If the participants …, then they shall'), else 'other'."""
    from assistant.normative.actors import first_actor

    return first_actor(text_before, family) or "other"


def _actor(body: str, main: str, at: int, end: int, family: str) -> tuple[str, str, bool, str]:
    """(actor, surface, passive, participle) of the clause whose modal spans main[at:end]."""
    after = main[end:]
    passive, word = _passive(after)
    if passive:
        rest = after[after.lower().find(word) + len(word):] if word else ""
        # The agent must follow the modal's own participle ('be validated by the VVB', 'be submitted to
        # Verra by X'), not a later one ('a report assessed by the VVB').
        lead = re.match(r"(?:\s+(?:(?:and|or)\s+\w+|\w+ly|to\s+(?:the\s+)?\S+(?:\s+\S+)?))*\s+(?=by\b)", rest, re.I)
        agent = _AGENT.match(rest, lead.end()) if lead else None
        if agent:
            got = normalise_actor(agent.group(1), family)
            if got not in ("other", "unspecified"):
                return got, agent.group(1).strip(), True, word
        return "unspecified", "", True, word
    surface = _subject(main, at)
    if surface.lower() in _PRONOUNS:
        return _pronoun_actor(body[: len(body) - len(main) + at], family), surface, False, word
    return normalise_actor(surface, family), surface, False, word


_NUM = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|sixty|ninety)"
_UNIT = r"(?:calendar\s+|working\s+|business\s+)?(?:days?|weeks?|months?|years?|hours?)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_STOP_ALT = (r"\s+(?:shall|must|should)\b|\s*[,;:()]|\.(?:\s|$)|\s+(?:and|or)\s+(?:shall|may|must|should|then|at|in|on)\b|\s+(?:as\s+set\s+out|"
         r"in\s+accordance|following|unless|where|if|provided)\b|$")
_STOP = f"(?={_STOP_ALT})"
_DEADLINES = [
    re.compile(rf"\b(?:at\s+least\s+|no\s+more\s+than\s+|once\s+)?(?:once\s+)?every\s+(?:{_NUM}\s+)?{_UNIT}"
               rf"(?:\s+until\s+.+?{_STOP})?", re.I),
    re.compile(rf"\b(?:within\s+(?:{_NUM}\s+{_UNIT}|(?:the|a|an)\s+(?:[\w-]+\s+){{0,4}}?(?:period|deadlines?|timelines?|"
               rf"time\s*frames?|{_UNIT}))\b|(?:no|not)\s+later\s+than\b).*?{_STOP}", re.I),
    re.compile(rf"\bby\s+(?:\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|{_MONTH}\s+\d{{4}}|\d{{4}})\b"),
    re.compile(rf"\b(?:{_NUM}\s+{_UNIT}\s+)?(?:before|prior\s+to)\s+(?!and\b|or\b).+?{_STOP}", re.I),
    re.compile(r"\b(?:annually|yearly|each\s+year|every\s+year|per\s+year|quarterly|monthly)\b", re.I),
    re.compile(rf"\b(?:on|upon)\s+completion\s+of\s+.+?{_STOP}", re.I),
    re.compile(rf"\buntil\s+.+?{_STOP}", re.I),
    re.compile(rf"\bafter\s+(?:the\s+(?:first|end|date|start|completion|expiry)|a\s+project\s+reaches|registration|"
               rf"validation|verification|issuance)\b.*?(?=\s+to\s+[a-z]+\b|{_STOP_ALT})", re.I),
]
_REFS = re.compile(
    r"\b(?:Sections?|Appendix|Appendices|Annex|Annexes|Principle|Chapter|Table|Figure|Step)\s+"
    r"[A-Z]?\d+(?:\.\d+)*(?:\(\d+\))?(?:\s*(?:[–-]|to|and)\s*[A-Z]?\d+(?:\.\d+)*)?")


def deadline(text: str, condition: str | None = None, modal_at: int = 0) -> str | None:
    """The first time bound on the action ('within 30 days of …', 'every five years'), not one inside the condition."""
    skip = (text.find(condition), text.find(condition) + len(condition)) if condition and condition in text else (-1, -1)
    found = []
    for rank, rx in enumerate(_DEADLINES):
        for m in rx.finditer(text):
            if skip[0] <= m.start() < skip[1]:
                continue
            if " that " in text[modal_at:m.start()] and m.start() > modal_at:
                continue  # bounds an embedded 'that' clause, not the obligation itself
            found.append((rank, m.start(), m.group(0)))
            break
    if not found:
        return None
    span = min(found)[2]
    return re.sub(r"\s+(?:and|or)$", "", span.strip(" ,.;")) or None


def trailing_condition(main: str, modal_end: int) -> str | None:
    """A 'where / if / unless / as long as …' clause after the modal, up to its natural end."""
    m = _COND_MID.search(main, modal_end)
    if not m:
        return None
    start = m.start(1)
    tail = main[start:]
    stop = re.search(r"\s\((?!as set out)|\)|,\s(?:for example|e\.g\.)|\s+or\s+(?:may|shall|must|should)\b"
                     r"|\s+and\s+(?:may|shall|must|should)\b|;", tail)
    out = tail[: stop.start()] if stop else tail
    return out.strip(" ,.;") or None


def references(text: str) -> list[str]:
    """Section-style references as written ('Section 3.2.4', 'Sections 3.8.1 – 3.8.6')."""
    return [m.group(0) for m in _REFS.finditer(text) if not m.group(0).startswith(("Table", "Figure", "Step"))]


def _main_modal(main: str) -> tuple[str, int, int] | None:
    """The modal of the main clause: skips may/can inside 'that/which' relative clauses."""
    pos = 0
    while True:
        hit = find_modal(main, pos)
        if hit is None:
            return None
        before = main[: hit[1]].rstrip().split()
        if re.search(r"\b(?:against|in|by|to|for|under|through)\s+which\b[^,;]*$", main[: hit[1]], re.I):
            pos = hit[2]
            continue  # 'the Requirements against which VVBs shall …': a relative clause, not the main one
        if hit[0] == "permission" and before and before[-1].lower() in ("that", "which", "who"):
            pos = hit[2]
            continue
        return hit


def _is_possibility(actor: str, surface: str, passive: bool, participle: str, after: str) -> bool:
    """'may/can' of possibility ('emissions may increase', 'can be found') rather than permission."""
    if passive:
        return participle in _NOT_POSSIBLE_PASSIVE
    if _POSSIBILITY_VERB.match(after.strip()):
        return True
    if actor in ("unspecified",) and not _REGULATED.search(surface):
        return True
    return bool(_PLEONASTIC.match(surface)) and actor in ("other", "unspecified")


def parse_sentence(text: str, family: str = "other", glossary: bool = False) -> Normative | None:
    """The normative content of one sentence, or None (definition, possibility, editorial or descriptive)."""
    if glossary or not text or _EDITORIAL.search(text):
        return None
    body = _THIS_MEANS.sub("", strip_prefix(text))
    if _EDITORIAL.search(body) or is_definition(body):
        return None
    cond, main = _lead_condition(body)
    hit = _main_modal(main)
    if hit is None:
        return None
    modality, at, end = hit
    offset = body.rfind(main) if main else 0
    actor, surface, passive, participle = _actor(body, main, at, end, family)
    if modality == "permission" and _is_possibility(actor, surface, passive, participle, main[end:]):
        return None
    if modality == "duty" and re.match(r"^no\s", main, re.I):
        modality = "prohibition"
    cond = cond or trailing_condition(main, end)
    action = re.split(r";\s", main[end:].strip(), maxsplit=1)[0].rstrip(" .:")
    return Normative(
        modality=modality, modal=main[at:end], actor=actor, actor_surface=surface, action=action[:300],
        deadline=deadline(body, cond, offset + at), condition=cond, references=references(text),
    )
