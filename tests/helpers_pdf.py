"""Small PDFs made on the fly for tests: good ones with known structure, and broken ones."""
from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

HEADER = "ACME Carbon Registry - Test Rules v1.0"
DEFINITION = "Project Proponent means the legal entity that has overall control of the project."


_FILLER = [
    "The registry keeps records of every crediting period and every issuance request.",
    "Records are retained for ten years after the end of the crediting period.",
    "Fees are payable before registration and are not refunded when a request is withdrawn.",
    "Each validation report names the auditor, the scope and the sampling plan that was used.",
    "Leakage is assessed for activity shifting and market effects outside the project boundary.",
    "Buffer credits cover the non-permanence risk of removals over the permanence period.",
    "Methodology deviations are described in the monitoring report and assessed at verification.",
    "Public comments received during the comment period are answered before registration.",
]


def _filler(tag: str, page: int) -> str:
    """Body text that differs from page to page (repeated edge lines would look like footers)."""
    a, b = _FILLER[page % len(_FILLER)], _FILLER[(page + 3) % len(_FILLER)]
    return f"Rule set {tag}, part {page + 1}. {a} {b}"


def rules_pages(tag: str = "A", extra_pages: int = 0) -> list[list[str]]:
    """Body lines per page of a small rulebook with numbered headings and hyphenated breaks.

    `tag` goes into every paragraph so two documents made with different tags differ.
    """
    pages = [
        [
            "1 Introduction",
            f"This document {tag} sets out the rules for the regis-",
            "tration of projects under the programme. It applies to every",
            "activity that seeks carbon credits.",
            _filler(tag, 0),
        ],
        [
            "2 Definitions",
            DEFINITION,
            "Host-country approval is needed for every project. The host-",
            "country letter must be attached to the validation report.",
            _filler(tag, 1),
        ],
        [
            "3 Requirements",
            "3.1 General Requirements",
            "3.1.1 The project proponent shall demonstrate additionality using the approved tool.",
            "3.1.2 The project proponent shall monitor emission reductions every year.",
            _filler(tag, 2),
        ],
        [
            "3.2 Monitoring",
            "Monitoring reports are verified by an accredited validation/verification body.",
            _filler(tag, 3),
        ],
    ]
    for i in range(extra_pages):
        pages.append([f"Annex page {i + 1} for {tag}.", _filler(tag, 4 + i), _filler(tag, 5 + i)])
    return pages


def _wrap(line: str, width: int = 95) -> list[str]:
    """Hard-wrap one long paragraph line into drawable lines (no hyphenation)."""
    out, cur = [], ""
    for word in line.split():
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    if cur:
        out.append(cur)
    return out


def make_pdf(path, pages: list[list[str]], header: str | None = HEADER,
             footer: str | None = "Page {n} of {total}", first_label: int = 1):
    """Write a text PDF (to a path or a binary buffer): running header, body lines, page-number footer."""
    if not hasattr(path, "write"):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(path if hasattr(path, "write") else str(path), pagesize=A4, invariant=1)
    width, height = A4
    total = len(pages)
    for i, lines in enumerate(pages):
        if header:
            c.setFont("Helvetica", 9)
            c.drawString(72, height - 40, header)
        c.setFont("Helvetica", 10)
        y = height - 80
        for line in lines:
            for part in _wrap(line):
                c.drawString(72, y, part)
                y -= 14
        if footer:
            c.setFont("Helvetica", 9)
            c.drawString(72, 30, footer.format(n=first_label + i, total=first_label + total - 1))
        c.showPage()
    c.save()
    return path


def make_rules_pdf(path: Path, tag: str = "A", extra_pages: int = 0, **kw) -> Path:
    """A small rulebook PDF (see rules_pages)."""
    return make_pdf(path, rules_pages(tag, extra_pages), **kw)


_WORDS = (
    "operator facility baseline leakage buffer registry issuance verification audit monitoring boundary "
    "methodology proponent crediting removal reduction permanence emission allowance offset tonne sector "
    "grid cement steel fertiliser aluminium refinery transport forestry mangrove wetland cookstove biogas "
    "landfill methane hydro solar wind turbine inverter meter calibration sampling uncertainty discount "
    "authorisation adjustment transfer retirement cancellation vintage serial account holder registrar"
).split()


def _sentence(tag: str, n: int) -> str:
    """A deterministic, non-repeating sentence (pseudo-random words) for bulk text."""
    import hashlib

    seed = hashlib.sha256(f"{tag}:{n}".encode()).digest()
    words = [_WORDS[b % len(_WORDS)] for b in seed[:14]]
    return f"The {words[0]} of the {words[1]} shall record {' '.join(words[2:13])} for {words[13]}."


def make_long_pdf(path: Path, tag: str, pages: int = 12) -> Path:
    """A longer PDF (a few dozen chunks) for crash and server tests."""
    body = []
    for p in range(pages):
        lines = [f"{p + 1} {_WORDS[(p * 7) % len(_WORDS)].title()} {_WORDS[(p * 11 + 3) % len(_WORDS)].title()} Rules"]
        lines += [_sentence(tag, p * 100 + s) for s in range(8)]
        body.append(lines)
    return make_pdf(path, body)


def make_image_only_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF whose pages carry only drawings: no text layer at all (a scan, to the pipeline)."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(pages):
        c.rect(100, 100, 300, 400, fill=1)
        c.showPage()
    c.save()
    return Path(path)


def make_encrypted_pdf(path: Path, password: str = "secret") -> Path:
    """A good PDF encrypted with a user password (pypdf, RC4 — no extra crypto package needed)."""
    buf = io.BytesIO()
    make_pdf(buf, rules_pages("E"))
    buf.seek(0)
    writer = PdfWriter(clone_from=PdfReader(buf))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    return Path(path)


def make_truncated_pdf(path: Path, source: Path, keep: float = 0.4) -> Path:
    """The first `keep` fraction of a good PDF's bytes: no xref, no trailer, cut streams."""
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep)])
    return Path(path)


def make_corrupt_pdf(path: Path) -> Path:
    """A file named .pdf that holds no PDF structure at all."""
    Path(path).write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\nthis is not a PDF object\n")
    return Path(path)


def make_zero_page_pdf(path: Path) -> Path:
    """A well-formed PDF with an empty page tree (pypdf writes one from an empty writer)."""
    writer = PdfWriter()
    with open(path, "wb") as fh:
        writer.write(fh)
    if len(PdfReader(path).pages) != 0:  # pragma: no cover - fall back to a handcrafted file
        Path(path).write_bytes(_HANDMADE_ZERO_PAGE)
    return Path(path)


_HANDMADE_ZERO_PAGE = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n110\n%%EOF\n"
)


def manifest_entry(doc_id: str, file: str | None, **fields) -> dict:
    """One manifest entry with valid defaults; `fields` override or add keys."""
    entry = {
        "id": doc_id, "title": f"Test document {doc_id}", "issuer": "ACME Registry",
        "category": "standard", "jurisdictions": ["international"], "version": "1.0",
        "date": "2024-01-01", "source_url": None, "sha256": None, "file": file,
        "license_note": "generated for tests", "supersedes": [],
    }
    entry.update(fields)
    return entry


def write_manifest(path: Path, entries: list[dict]) -> Path:
    """Write a manifest.yaml holding `entries`."""
    import yaml

    Path(path).write_text(yaml.safe_dump({"documents": entries}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Path(path)


def read_manifest(path: Path) -> list[dict]:
    """The raw entries of a manifest.yaml (to edit and write back)."""
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))["documents"]


def make_drawn_numbers_pdf(path: Path, textual_icon: bool = False) -> Path:
    """A page whose provision numbers are small images left of each paragraph, as Verra's Methodology
    Requirements draws them (the text layer has no '3.3.1').

    With `textual_icon`, the provisions are numbered in text and the image is an icon beside a subheading.
    """
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    number = ImageReader(Image.new("RGB", (44, 16), "black"))
    c = canvas.Canvas(str(path), pagesize=A4)
    y = 780

    def line(x: float, text: str, image: bool = False) -> None:
        """One text line at x; with a 22x8 pt image at the left margin on its baseline."""
        nonlocal y
        if image:
            c.drawImage(number, 72, y - 1, width=22, height=8)
        c.drawString(x, y, text)
        y -= 14

    line(72, "3 Methodology Components")
    line(72, "3.3 Project Boundary")
    line(72, "The project boundary includes the sources, sinks and reservoirs of the project.")
    if textual_icon:
        line(108, "3.3.1 Methodologies shall establish criteria for describing the project boundary.")
        line(108, "Procedures for assuring consistency with host country reporting", image=True)
        line(108, "3.3.2 Methodologies shall include all relevant upstream sources in the boundary.")
    else:
        line(108, "Methodologies shall establish criteria and procedures for describing the project", image=True)
        line(108, "boundary and for identifying the sources, sinks and reservoirs of the project.")
        line(108, "optional", image=True)  # a flowchart box beside an icon: not a provision
        line(108, "Specific carbon pools may be deemed de minimis and do not have to be accounted for", image=True)
        line(108, "if together they amount to less than five percent of the total reductions.")
        line(72, "5 Methodologies shall set out the")  # a footnote at the page's foot, not chapter 5
        line(72, "carbon pools that shall or may be included in the project boundary.")
        line(108, "Reductions of CH4 emissions are eligible for crediting where fire would have been used.", image=True)
    c.save()
    return path
