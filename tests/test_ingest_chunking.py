"""Chunks: offsets into the document text, pages, sections, token bounds and stable ids."""
from __future__ import annotations

import json

import pytest

from helpers_pdf import DEFINITION, make_long_pdf, make_rules_pdf
from ingest.chunking import chunk_document, load_tokenizer, split_sentences
from ingest.clean import clean_pages
from ingest.embed import resolve_model_dir
from ingest.manifest import file_sha256
from ingest.models import DocText
from ingest.pdf import extract_raw
from ingest.structure import find_sections

MODEL_WINDOW = 256


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(str(resolve_model_dir("all-MiniLM-L6-v2")))


def _chunks(path, tokenizer, max_tokens=200, overlap=40, paragraphs=False):
    raw, labels = extract_raw(path)
    doc = DocText(clean_pages(raw, labels, paragraphs=paragraphs))
    sections = find_sections([p.text for p in doc.pages], doc.page_starts())
    meta = {"doc_id": "doc", "sha256": file_sha256(path), "title": "Doc title", "category": "standard",
            "jurisdictions": ["India", "Japan"], "issuer": "ACME", "version": "1.0"}
    return doc, chunk_document(doc, sections, meta, tokenizer, max_tokens, overlap)


@pytest.fixture(scope="module")
def long_doc(tmp_path_factory, tokenizer):
    path = make_long_pdf(tmp_path_factory.mktemp("long") / "long.pdf", "L", pages=10)
    return _chunks(path, tokenizer)


def test_chunk_text_is_the_document_slice(long_doc):
    doc, chunks = long_doc
    assert len(chunks) > 10
    for c in chunks:
        assert doc.text[c.char_start:c.char_end] == c.text
    starts = [c.char_start for c in chunks]
    assert starts == sorted(starts)


def test_chunks_stay_within_the_model_window(long_doc, tokenizer):
    _, chunks = long_doc
    for c in chunks:
        n = len(tokenizer.encode(c.text, add_special_tokens=True).ids)
        assert n <= MODEL_WINDOW, f"chunk {c.id} has {n} tokens"
        assert len(tokenizer.encode(c.text, add_special_tokens=False).ids) <= 200 + 2


def test_chunks_cover_every_sentence(long_doc):
    doc, chunks = long_doc
    covered = set()
    for c in chunks:
        covered.update(range(c.char_start, c.char_end))
    missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and i not in covered]
    assert not missing, f"text not in any chunk: {doc.text[missing[0]:missing[0] + 40]!r}"


def test_chunk_pages_and_page_marks(long_doc):
    doc, chunks = long_doc
    starts = doc.page_starts()
    for c in chunks:
        first = max(i for i, s in enumerate(starts) if s <= c.char_start) + 1
        last = max(i for i, s in enumerate(starts) if s < c.char_end) + 1
        assert (c.page_start, c.page_end) == (first, last)
        marks = json.loads(c.page_marks)
        assert [m[1] for m in marks] == list(range(first, last + 1))
        for offset, number, _label in marks[1:]:
            assert c.text[offset:].startswith(doc.pages[number - 1].text[:20])


def _at(marks_json: str, pos: int, default: str = "") -> list:
    """The last mark (page or section) that starts at or before `pos` in the chunk."""
    marks = [m for m in json.loads(marks_json) if m[0] <= pos]
    return marks[-1] if marks else [0, default]


def test_chunk_metadata(tmp_path, tokenizer):
    path = make_rules_pdf(tmp_path / "rules.pdf", first_label=5)
    _, chunks = _chunks(path, tokenizer, max_tokens=60, overlap=0)
    definition = next(c for c in chunks if DEFINITION in c.text)
    pos = definition.text.index(DEFINITION)
    assert _at(definition.page_marks, pos)[1:] == [2, "6"], "physical page 2, printed label 6"
    assert _at(definition.section_marks, pos, definition.section)[1] == "2 Definitions"
    provision = next(c for c in chunks if "demonstrate additionality" in c.text)
    assert provision.section.startswith("3 Requirements > 3.1 General Requirements")
    meta = provision.metadata()
    assert meta["doc_id"] == "doc" and meta["title"] == "Doc title" and meta["version"] == "1.0"
    assert meta["jurisdictions"] == "|India|Japan|"
    assert "text" not in meta
    assert all(isinstance(v, (str, int, float, bool)) for v in meta.values()), "Chroma needs flat metadata"
    assert provision.embed_text().startswith("Doc title > 3 Requirements")


def test_section_marks_point_at_headings(long_doc):
    _, chunks = long_doc
    seen = 0
    for c in chunks:
        for offset, path in json.loads(c.section_marks):
            assert c.text[offset:].startswith(path.rsplit(" > ", 1)[-1])
            seen += 1
    assert seen > 0


def test_chunk_ids_are_stable_and_unique(tmp_path, tokenizer):
    path = make_long_pdf(tmp_path / "a.pdf", "S", pages=4)
    _, first = _chunks(path, tokenizer)
    _, second = _chunks(path, tokenizer)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    other = make_long_pdf(tmp_path / "b.pdf", "T", pages=4)
    _, third = _chunks(other, tokenizer)
    assert not {c.id for c in first} & {c.id for c in third}


def test_overlap_repeats_the_tail_of_the_previous_chunk(long_doc):
    _, chunks = long_doc
    overlapping = sum(1 for a, b in zip(chunks, chunks[1:]) if b.char_start < a.char_end)
    assert overlapping > 0


def test_toc_pages_are_left_out_and_never_spanned(tmp_path, tokenizer):
    from helpers_pdf import make_pdf, rules_pages
    from ingest.manifest import adhoc_entry
    from ingest.pipeline import process_document
    from ingest.settings import get_settings

    toc = ["Table of Contents"] + [f"{i} Chapter number {i} .................... {i + 2}" for i in range(1, 9)]
    cover = ["ACME Carbon Rules", "Short cover text before the contents page."]
    path = make_pdf(tmp_path / "toc.pdf", [cover, toc, *rules_pages("T")])
    chunks, res = process_document(adhoc_entry(path), path, file_sha256(path), get_settings())
    assert res.pages == 6 and chunks
    for c in chunks:
        assert not (c.page_start <= 2 <= c.page_end), f"chunk {c.page_start}-{c.page_end} spans the contents page"
        assert "...................." not in c.text
        assert len(tokenizer.encode(c.text).ids) <= MODEL_WINDOW


GLOSSARY = (
    "Free-rider\n"
    "An activity that is undertaken without requiring any intervention from the carbon market but that\n"
    "nonetheless receives credit for the GHG emission reductions or removals that it generates\n"
    "Free, Prior, and Informed Consent (FPIC)\n"
    "A safeguard to protect the rights of indigenous peoples and local communities, particularly relating to\n"
    "decision-making processes that affect their lands. To satisfy the meaning of FPIC, consent is needed.\n"
)


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, [], [])]


def test_a_glossary_term_on_its_own_line_starts_a_sentence():
    got = _sentences(GLOSSARY)
    assert got[0].startswith("Free-rider") and got[0].endswith("that it generates")
    assert got[1].startswith("Free, Prior, and Informed Consent (FPIC)\nA safeguard")
    assert got[2] == "To satisfy the meaning of FPIC, consent is needed."


@pytest.mark.parametrize("text", [
    # a wrapped two-line heading stays whole
    "2 OPENING A VERRA REGISTRY\nACCOUNT\nA Verra Registry account shall be opened by any entity that wants units.",
    # a line the one before runs on into is prose, not a term
    "units that are issued in the name of the\nVerified Carbon Standard Program\nAnd the registry shall record them there.",
    # a title-like line with a clause inside ("…, then the") is wrapped prose
    "where a project also applies for it\nEnergy Label Requirements, then the Gold Standard\nValidation Body shall review it.",
])
def test_wrapped_headings_and_prose_are_not_cut(text):
    got = _sentences(text)
    assert not any(s.startswith(("ACCOUNT", "Verified", "Energy")) for s in got)


def test_a_provision_number_with_a_bar_starts_a_sentence():
    text = ("14| DOUBLE COUNTING REQUIREMENTS\nDouble Issuance\n14.1.1 |Double issuance occurs when more than one"
            " unit is issued for the same reductions.\n14.1.2 |As outlined in the rules, projects shall say so.")
    got = _sentences(text)
    assert "14.1.1 |Double issuance occurs when more than one unit is issued for the same reductions." in got
    assert got[-1] == "14.1.2 |As outlined in the rules, projects shall say so."


def test_acronym_list_rows_are_sentences_of_their_own():
    text = ("Acronym/Abbreviation Full text\nAE Applicant entity\nA/R Afforestation and reforestation\n"
            "CDM Clean development mechanism\nCMP Conference of the Parties serving as the meeting of the Parties to\n"
            "the Kyoto Protocol\nCOP Conference of the Parties\n")
    got = _sentences(text)
    assert "CDM Clean development mechanism" in got
    assert "CMP Conference of the Parties serving as the meeting of the Parties to\nthe Kyoto Protocol" in got


def test_two_prose_lines_opening_with_acronyms_are_not_a_list():
    text = "The projects shall be registered and\nCDM project activities are counted when\nGHG reductions are verified."
    assert _sentences(text) == [text]


def test_a_blank_line_in_a_text_file_ends_a_sentence(tmp_path, tokenizer):
    # A web banner has no full stop: without the blank lines it was quoted glued to the first finding.
    f = tmp_path / "note.txt"
    f.write_text("CLIMATE CHANGE\n\nThe biggest crisis of our time\n\n\n\nClick to see full report\n\n"
                 "More than 50% of India's GHG emissions come from the power sector.\nA second line, same paragraph.\n",
                 encoding="utf-8")
    doc, chunks = _chunks(f, tokenizer, paragraphs=True)
    got = [doc.text[a:b] for a, b in split_sentences(doc.text, doc.page_starts(), [])]
    assert got == ["CLIMATE CHANGE", "The biggest crisis of our time", "Click to see full report",
                   "More than 50% of India's GHG emissions come from the power sector.",
                   "A second line, same paragraph."]
    assert "\n\n\n" not in doc.text and not doc.text.startswith("\n") and not doc.text.endswith("\n")
    assert all(c.text == doc.text[c.char_start:c.char_end] for c in chunks)


def test_ingest_reads_a_text_file_by_paragraphs(tmp_path):
    from ingest.manifest import adhoc_entry
    from ingest.pipeline import process_document
    from ingest.settings import get_settings

    path = tmp_path / "note.txt"
    path.write_text("Click to see full report\n\nLaunched in 2013, the JCM is bilateral.\n", encoding="utf-8")
    chunks, _ = process_document(adhoc_entry(path), path, file_sha256(path), get_settings())
    spans = [chunks[0].text[a:b] for a, b in split_sentences(chunks[0].text, [], [])]
    assert spans == ["Click to see full report", "Launched in 2013, the JCM is bilateral."]


def test_a_pdf_page_keeps_no_blank_lines(tmp_path):
    # PDF text layers put blank lines anywhere (between table cells, around a figure): they end nothing.
    pages = clean_pages(["A heading\n\nwraps onto\n\nthe next line.\n"], [""])
    assert pages[0].text == "A heading\nwraps onto\nthe next line."
