"""Cross-references of an obligation ('Section 3.2.4', 'the VCS Program Definitions'), resolved to a section."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.normative.sentence import references

_SECTION_NO = re.compile(r"[A-Z]?\d+(?:\.\d+)*")
_OF_DOC = re.compile(r"^\s*(?:\(\d+\))?\s*(?:of|in)\s+(?:the\s+)?", re.I)
_TITLE_DROP = re.compile(r"^(?:methodological tool tool\d+:\s*|glossary:\s*|gold standard(?: for the global goals)?:\s*)",
                         re.I)


@dataclass
class CrossRef:
    """One reference as written, and where it points when the target is in the corpus."""

    text: str
    doc_id: str | None = None
    section: str | None = None      # the number or label referred to ('3.2.4', 'Principle 1')
    section_path: str = ""          # the target's section path in the index, when found
    page: int | None = None
    resolved: bool = False
    exact: bool = True              # False: only the enclosing section was found ('3.3' for '3.3.7')

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class DocSections:
    """Where each numbered section of one document starts: label -> (section path, page)."""

    doc_id: str
    title: str
    labels: dict[str, tuple[str, int]]


def _aliases(doc_id: str, title: str) -> list[str]:
    """Names a rulebook uses for another document: its title, and the title without a series prefix."""
    t = " ".join(title.split())
    out = [t, _TITLE_DROP.sub("", t)]
    out += [re.sub(r"\s*\([^)]*\)\s*$", "", x) for x in out]
    return [a for a in dict.fromkeys(out) if len(a) >= 12]


def section_index(view) -> DocSections:
    """Numbered labels of a document (from section paths, then from provision numbers at line starts)."""
    labels: dict[str, tuple[str, int]] = {}
    for off, path in zip(view.sec_offs, view.secs):
        for part in path.split(" > "):
            head = part.split(" ", 1)[0].rstrip(".")
            if _SECTION_NO.fullmatch(head):
                labels.setdefault(head, (_prefix(path, part), view.page_at(off)))
    # A provision number opening a line and followed by text ('3.3.7 Where …'), not a wrapped 'Section\n3.3.7.'
    for m in re.finditer(r"(?m)^[ \t]*((?:[A-Z]?\d+(?:\.\d+)+)|(?:Principle|Appendix|Annex)\s+\d+)[ \t:]+(?=[A-Z(])",
                         view.text):
        if not re.search(r"(?:Sections?|in|of|and)\s*$", view.text[max(0, m.start() - 12): m.start()]):
            labels.setdefault(m.group(1), (view.section_at(m.start()), view.page_at(m.start())))
    return DocSections(view.doc_id, view.title, labels)


def _prefix(path: str, part: str) -> str:
    """The path up to and including `part`."""
    parts = path.split(" > ")
    return " > ".join(parts[: parts.index(part) + 1])


class Resolver:
    """Resolves references against the documents of one index."""

    def __init__(self, sections: dict[str, DocSections]):
        """Sections per document id."""
        self.sections = sections
        pairs = [(a.lower(), d) for d, s in sections.items() for a in _aliases(d, s.title)]
        self.aliases = sorted(pairs, key=lambda p: -len(p[0]))

    def find(self, text: str, doc_id: str) -> list[CrossRef]:
        """Every reference in a sentence of `doc_id`, resolved where the target is known."""
        out: list[CrossRef] = []
        low = text.lower()
        named = [(low.find(a), a, d) for a, d in self.aliases if a in low]
        for ref in references(text):
            pos = text.find(ref)
            target = doc_id
            tail = text[pos + len(ref): pos + len(ref) + 120]
            of = _OF_DOC.match(tail)
            if of:
                for at, a, d in named:
                    if at == pos + len(ref) + of.end():
                        target = d
            out.append(self._section_ref(ref, target))
        taken = []
        for at, a, d in sorted(named):
            if d != doc_id and not any(t <= at < t + n for t, n in taken):
                taken.append((at, len(a)))
                out.append(CrossRef(text[at: at + len(a)], d, None, "", None, True))
        return out

    def _section_ref(self, ref: str, doc_id: str) -> CrossRef:
        """'Section 3.8.1 – 3.8.6' in doc_id -> the first section it names."""
        m = re.search(r"(Principle|Appendix|Annex)\s+(\d+)", ref)
        label = f"{m.group(1)} {m.group(2)}" if m else _SECTION_NO.search(ref.split(None, 1)[1]).group(0)
        secs = self.sections.get(doc_id)
        if secs is None:
            return CrossRef(ref, doc_id, label, "", None, False)
        hit = secs.labels.get(label)
        if hit is not None:
            return CrossRef(ref, doc_id, label, hit[0], hit[1], True)
        parent = label
        while "." in parent and hit is None:  # fall back to the nearest enclosing numbered section
            parent = parent.rsplit(".", 1)[0]
            hit = secs.labels.get(parent)
        if hit is None:
            return CrossRef(ref, doc_id, label, "", None, False)
        return CrossRef(ref, doc_id, label, hit[0], hit[1], True, exact=False)

