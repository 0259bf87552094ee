"""The real bundled corpus, ingested once per session (`indexed_settings`)."""
from __future__ import annotations

import json
import re
import time

import pytest
from pypdf import PdfReader

from ingest.chunking import load_tokenizer
from ingest.embed import get_embedder, resolve_model_dir
from ingest.manifest import load_manifest
from ingest.models import Chunk
from ingest.pipeline import ingest
from ingest.store import Store

pytestmark = pytest.mark.slow

DEFINITIONS = "verra-vcs-program-definitions-v4.5-2024"
# Read off the PDF by hand: the glossary defines these terms on these physical pages.
HAND_CHECKED = [
    ("An organization approved by Verra to act as a validation/verification body in respect of "
     "providing validation and/or verification services", 25),
    ("The platform that records all projects and programs (listed and registered) and VCUs issued "
     "under the VCS Program", 26),
]


@pytest.fixture(scope="module")
def active(indexed_settings):
    """Ids, texts and metadata of every active chunk of the real corpus."""
    return Store(indexed_settings).all_chunks()


def _page_at(meta: dict, pos: int) -> int:
    """Physical page of the character at `pos` in a chunk, from its page marks."""
    marks = [m for m in json.loads(meta["page_marks"]) if m[0] <= pos]
    return marks[-1][1] if marks else meta["page_start"]


def test_all_bundled_documents_are_ingested(indexed_env, cli):
    result = cli("corpus", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    bundled = [r for r in rows if r["availability"] == "bundled"]
    assert len(bundled) == 16
    for r in bundled:
        assert r["status"] == "ingested", r
        assert r["pages"] > 0 and r["chunks"] > 0 and not r["error"] and not r["stale"], r
    missing = [r for r in rows if r["availability"] == "missing"]
    assert len(missing) == 14 and all(r["status"] == "missing" for r in missing)
    table = cli("corpus", "list")
    assert table.exit_code == 0 and "16 ingested, 14 missing" in table.output


def test_page_counts_match_the_pdfs(indexed_settings):
    registry = Store(indexed_settings).registry()
    for entry in load_manifest(indexed_settings.manifest_path):
        path = entry.path(indexed_settings.corpus_dir)
        if path is None or path.suffix != ".pdf":
            continue
        assert registry[entry.id]["pages"] == len(PdfReader(path).pages), entry.id


@pytest.mark.parametrize("phrase, page", HAND_CHECKED)
def test_hand_checked_definition_page(active, phrase, page):
    ids, texts, metas = active
    pattern = re.compile(r"\s+".join(re.escape(w) for w in phrase.split()))
    hits = [(t, m) for t, m in zip(texts, metas) if m["doc_id"] == DEFINITIONS and pattern.search(t)]
    assert hits, f"no chunk of {DEFINITIONS} holds the definition"
    for text, meta in hits:
        assert _page_at(meta, pattern.search(text).start()) == page
        assert meta["page_start"] <= page <= meta["page_end"]


def test_every_chunk_fits_the_model_window(active):
    tok = load_tokenizer(str(resolve_model_dir("all-MiniLM-L6-v2")))
    _, texts, metas = active
    sizes = [len(e.ids) for e in tok.encode_batch(texts)]
    worst = max(range(len(sizes)), key=sizes.__getitem__)
    assert sizes[worst] <= 256, f"{metas[worst]['doc_id']} p.{metas[worst]['page_start']}: {sizes[worst]} tokens"


def test_stored_vectors_belong_to_their_chunks(indexed_settings, active):
    """Embedding a stored chunk's own text finds that very chunk first (vectors and ids aligned)."""
    ids, texts, metas = active
    embedder = get_embedder(indexed_settings.embedding_model, indexed_settings.embedding_backend)
    store = Store(indexed_settings)
    picks = [i for i, m in enumerate(metas) if m["doc_id"] == DEFINITIONS][:2] + [0, len(ids) // 2, len(ids) - 1]
    for i in picks:
        meta = dict(metas[i])
        meta["jurisdictions"] = [j for j in meta["jurisdictions"].split("|") if j]
        chunk = Chunk(**meta, text=texts[i])
        assert chunk.id == ids[i], "chunk ids derive from sha256 and offsets"
        hit_id, _, _, score = store.query(embedder.embed([chunk.embed_text()])[0], 1)[0]
        assert hit_id == ids[i] and score > 0.99


def test_reingest_is_idempotent(indexed_settings, active):
    started = time.perf_counter()
    report = ingest(indexed_settings)
    seconds = time.perf_counter() - started
    print(f"\nre-ingest of an up-to-date index: {seconds:.1f} s")
    statuses = {r.status for r in report.results}
    assert statuses <= {"skipped", "missing"} and sum(r.status == "skipped" for r in report.results) == 16
    assert Store(indexed_settings).all_chunks()[0] == active[0]
