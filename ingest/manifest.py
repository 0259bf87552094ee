"""The corpus manifest: one validated entry per document, bundled or to be fetched."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.errors import CarbonQAError

Category = Literal[
    "jcm-rules", "jcm-moc", "ndc", "ccts", "article6", "standard", "methodology", "report"
]
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
ID_PUNCT = "._-"  # besides letters, marks and digits of any script
MAX_ID_CHARS = 80


def _id_char(ch: str) -> bool:
    """Letters, combining marks (Devanagari vowel signs) and digits of any script, or . _ -."""
    return ch in ID_PUNCT or unicodedata.category(ch)[0] in "LMN"


def is_valid_id(doc_id: str) -> bool:
    """True for an id that starts with a letter or digit and holds only id characters."""
    return bool(doc_id) and unicodedata.category(doc_id[0])[0] in "LN" and all(map(_id_char, doc_id))


def readable_id(name: str) -> str:
    """A file name as an id: NFKC-normalised, each run of unsafe characters one '-'; 'document' if none is left."""
    text = unicodedata.normalize("NFKC", name)
    out = re.sub(r"-+", "-", "".join(ch if _id_char(ch) else "-" for ch in text))
    out = out.strip(ID_PUNCT)[:MAX_ID_CHARS].rstrip(ID_PUNCT)
    while out and not is_valid_id(out):  # a leading combining mark cannot start an id
        out = out[1:].lstrip(ID_PUNCT)
    return out or "document"


class ManifestError(CarbonQAError):
    """The manifest file is missing, unreadable, or an entry breaks the schema."""


class DocumentEntry(BaseModel):
    """One document of the corpus as the manifest declares it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Letters or digits of any script, then also . _ -")
    title: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    category: Category
    jurisdictions: list[str] = Field(min_length=1)
    version: str | None = None
    date: dt.date | None = None
    source_url: str | None = None
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    file: str | None = None
    license_note: str = ""
    supersedes: list[str] = Field(default_factory=list)
    adhoc: bool = Field(False, description="Added with `carbonqa ingest PATH`, not in the manifest.")

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        """Ids name files and URLs: no spaces, slashes or other punctuation."""
        if not is_valid_id(value):
            raise ValueError("must start with a letter or digit and hold only letters, digits, '.', '_' or '-'")
        return value

    def path(self, corpus_dir: Path) -> Path | None:
        """Where the file is expected: the bundled file, or a fetched copy named after the id."""
        if self.file:
            p = Path(self.file)
            return p if p.is_absolute() else corpus_dir / p
        for suffix in (".pdf", ".txt", ".md"):
            cand = corpus_dir / "fetched" / f"{self.id}{suffix}"
            if cand.exists():
                return cand
        return None

    @property
    def bundled(self) -> bool:
        """True when the file ships in the repository."""
        return self.file is not None and not self.adhoc


def load_manifest(path: Path) -> list[DocumentEntry]:
    """Read and validate the manifest; an invalid entry raises naming the entry and field."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: manifest not found") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("documents"), list):
        raise ManifestError(f"{path}: expected a top-level 'documents:' list")
    entries: list[DocumentEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw["documents"]):
        name = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
        try:
            entry = DocumentEntry.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err["loc"]) or "(entry)"
            raise ManifestError(f"{path}: entry '{name}', field '{field}': {err['msg']}") from None
        if entry.id in seen:
            raise ManifestError(f"{path}: entry '{name}', field 'id': duplicate id")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def adhoc_entry(path: Path, doc_id: str | None = None) -> DocumentEntry:
    """An entry for a file given on the command line; the id comes from the file name unless given."""
    return DocumentEntry(
        id=doc_id or readable_id(path.stem), title=path.stem, issuer="unknown", category="report",
        jurisdictions=["unknown"], file=str(path.resolve()), adhoc=True,
        license_note="Ad-hoc file added by the user.",
    )


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
