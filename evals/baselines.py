"""Pipelines the harness can run: ours, the LangChain-tutorial RAG ('naive') and BM25 alone.

All three return `assistant.models.Answer`, so the same metrics apply. The baselines share our
extractive answerer and abstention threshold, so a difference in scores is a difference in
retrieval (what the answerer gets to read), not in answer writing.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from typing import Protocol

from assistant.answering.abstain import ABSTAIN_TEXT
from assistant.answering.answerability import load as load_model
from assistant.answering.question import analyse, unknown_names
from assistant.answering.scoring import Scorer, idf_table, missing_share, nearest, select, select_limits
from assistant.retrieval.followup import rewrite_followup
from assistant.models import Answer, Passage
from assistant.answering.quotes import cite
from assistant.retrieval.hybrid import FAMILIES
from assistant.retrieval.text import tokenize
from ingest.errors import CarbonQAError
from ingest.manifest import file_sha256, load_manifest
from ingest.settings import Settings

BASELINES = ("naive", "bm25")
NAIVE_VERSION = 2  # bump when the naive index recipe changes, so the cached index is rebuilt
NAIVE_BACKEND = "torch"  # the tutorial's embedder: sentence-transformers MiniLM in fp32, whatever ours is


def naive_embedder(settings: Settings):
    """The naive pipeline's embedding model: our model name on the tutorial's runtime."""
    from ingest.embed import get_embedder

    return get_embedder(settings.embedding_model, NAIVE_BACKEND)


class Pipeline(Protocol):
    """What the runner needs: a name, the settings digest and `ask`."""

    name: str
    answerer: str

    def ask(self, question: str, history: list[str]) -> Answer:
        """Answer one question (with earlier turns for follow-ups)."""


class AssistantPipeline:
    """Our full chain (hybrid retrieval, follow-up rewrite, extractive or LLM answerer)."""

    def __init__(self, settings: Settings, answerer: str = "extractive", provider: str | None = None):
        from assistant.answering.answer import Assistant

        self.assistant = Assistant(settings)
        self.answerer, self.provider = answerer, provider
        self.name = "ours"

    def ask(self, question: str, history: list[str]) -> Answer:
        """Delegate to Assistant.ask."""
        return self.assistant.ask(question, history=history, answerer=self.answerer, provider=self.provider)


class _ExtractiveBaseline:
    """Shared tail of the baselines: follow-up rewrite, retrieval hook, our extractive answerer."""

    name = "baseline"
    answerer = "extractive"

    def __init__(self, settings: Settings):
        self.settings = settings
        from ingest.embed import get_embedder

        self.embedder = get_embedder(settings.embedding_model, settings.embedding_backend)
        self._scorer: Scorer | None = None

    def retrieve(self, query: str) -> list[Passage]:
        """Ranked passages for a standalone query."""
        raise NotImplementedError

    def corpus_texts(self) -> list[str]:
        """Every chunk text, for the answerer's IDF table."""
        raise NotImplementedError

    def known(self, token: str) -> bool:
        """Whether any of this baseline's chunks contains the token (a name no chunk has is unknown)."""
        return token in self.scorer().idf

    def scorer(self) -> Scorer:
        """Our evidence scorer with IDF over this baseline's own chunks."""
        if self._scorer is None:
            self._scorer = Scorer(self.embedder, idf_table([tokenize(t) for t in self.corpus_texts()]))
        return self._scorer

    def ask(self, question: str, history: list[str]) -> Answer:
        """Retrieve, then our answer step: the same model, threshold and selection as ours."""
        t0 = time.perf_counter()
        question = " ".join(question.split())
        # Same rewrite as ours, so follow-ups compare retrieval rather than query handling.
        standalone = rewrite_followup(question, history, FAMILIES) if history else question
        scorer, model, s = self.scorer(), load_model(), self.settings
        t1 = time.perf_counter()
        passages = self.retrieve(standalone)
        t2 = time.perf_counter()
        asked = analyse(standalone)
        missing = missing_share(standalone, passages[:s.answer_passages], scorer.idf)
        j = scorer.judge(model, asked, scorer.candidates(asked, standalone, passages[:s.answer_passages]),
                         missing, set())
        scored, support = j.scored, j.support
        threshold = model.threshold if s.abstain_threshold is None else s.abstain_threshold
        best_p = scored[0][0] if scored else 0.0
        unknown = unknown_names(standalone, self.known)  # the same vocabulary rule as ours
        if support < threshold or best_p < model.min_sentence_p or j.lacks_value or unknown or not passages:
            cits = nearest(scored)
            near = " ".join(f"[{c.n}]" for c in cits)
            text, abstained = f"{ABSTAIN_TEXT} " + (f"Nearest passages: {near}." if cits else ""), True
        else:
            most, relative = select_limits(asked, s)
            chosen = select(scored, most, relative, s.select_floor, other_page=s.select_other_page)
            cits = [cite(i + 1, x, p) for i, (p, x) in enumerate(chosen)]
            text, abstained = " ".join(f"{c.quote} [{c.n}]" for c in cits), False
        t3 = time.perf_counter()
        return Answer(
            question=question, answer=text.strip(), abstained=abstained, citations=cits, passages=passages,
            timings={"retrieval_ms": round((t2 - t1) * 1000, 1), "generation_ms": round((t3 - t2) * 1000, 1),
                     "total_ms": round((t3 - t0) * 1000, 1)},
            answerer=f"extractive+{self.name}", settings_digest=self.settings.digest(),
            standalone_question=standalone, confidence=support,
        )


class BM25Baseline(_ExtractiveBaseline):
    """BM25 alone over our chunks (no dense side, no fusion, no query expansion)."""

    name = "bm25"

    def __init__(self, settings: Settings):
        super().__init__(settings)
        from assistant.retrieval.lexical import LexicalIndex, bm25_cache_dir
        from ingest.store import Store

        store = Store(settings)
        store.check_settings()
        ids, texts, metas = store.all_chunks()
        # Same construction as HybridSearch, so the on-disk BM25 cache is shared with it.
        self.lex = LexicalIndex(ids, texts, metas, bm25_cache_dir(settings.data_dir, ids))

    def corpus_texts(self) -> list[str]:
        """Our chunk texts."""
        return self.lex.texts

    def known(self, token: str) -> bool:
        """Our BM25 vocabulary, titles and section headings included, as in the assistant."""
        return token in self.lex.vocab

    def retrieve(self, query: str) -> list[Passage]:
        """Top-k (settings.top_k) BM25 passages."""
        out = []
        for rank, (row, score) in enumerate(self.lex.search(query, self.settings.top_k, None), 1):
            m = self.lex.metas[row]
            out.append(Passage(
                id=self.lex.ids[row], doc_id=m["doc_id"], title=m.get("title", ""), text=self.lex.texts[row],
                page_start=int(m["page_start"]), page_end=int(m["page_end"]), page_label=m.get("page_label", ""),
                section=m.get("section", ""), score=round(score, 4), bm25_rank=rank, bm25_score=round(score, 4),
                version=m.get("version", ""), category=m.get("category", ""),
                section_marks=m.get("section_marks", "[]"), page_marks=m.get("page_marks", "[]"),
            ))
        return out


class NaiveBaseline(_ExtractiveBaseline):
    """The LangChain RAG tutorial: PyPDFLoader pages, 1000/200 character chunks, Chroma top-k (k = settings.top_k, as ours)."""

    name = "naive"

    def __init__(self, settings: Settings, on_progress=None):
        super().__init__(settings)
        self.embedder = naive_embedder(settings)
        self.docs = {}
        for e in load_manifest(settings.manifest_path):
            p = e.path(settings.corpus_dir)
            if p is not None and p.exists():
                self.docs[e.id] = (p, e)
        self.store = self._open(on_progress)

    def _key(self) -> str:
        """Cache key: the files' bytes, the embedder and the recipe version."""
        h = hashlib.sha256(f"naive-v{NAIVE_VERSION}:{self.settings.embedding_model}:{NAIVE_BACKEND}".encode())
        for doc_id, (p, e) in sorted(self.docs.items()):
            h.update(f"{doc_id}:{e.sha256 or file_sha256(p)}".encode())
        return h.hexdigest()[:16]

    def _open(self, on_progress):
        """Load the cached Chroma index, or build it once (the costly embedding step)."""
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        from ingest.embed import LangChainEmbeddings

        path = self.settings.data_dir / "naive" / self._key()
        done = path / "complete.json"
        if path.exists() and not done.exists():
            shutil.rmtree(path)  # an interrupted build: start over rather than half-index
        fresh = not done.exists()
        store = Chroma(
            collection_name="naive", persist_directory=str(path),
            # Our embedder, never Chroma's default embedding function (it downloads a model).
            embedding_function=LangChainEmbeddings(self.embedder),
            client_settings=ChromaSettings(anonymized_telemetry=False, is_persistent=True),
        )
        if fresh:
            chunks = self._split()
            for i in range(0, len(chunks), 256):
                part = chunks[i: i + 256]
                store.add_documents(part, ids=[c.metadata["chunk_id"] for c in part])
                if on_progress:
                    on_progress(min(i + 256, len(chunks)), len(chunks))
            done.write_text(json.dumps({"chunks": len(chunks), "docs": sorted(self.docs)}))
        return store

    def _split(self):
        """Load every file as the tutorial does and cut 1000/200 character chunks."""
        from langchain_community.document_loaders import PyPDFLoader, TextLoader
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        pages = []
        for doc_id, (p, _) in sorted(self.docs.items()):
            loader = PyPDFLoader(str(p)) if p.suffix.lower() == ".pdf" else TextLoader(str(p), encoding="utf-8")
            for d in loader.load():
                d.metadata = {"doc_id": doc_id, "page": int(d.metadata.get("page", 0))}
                pages.append(d)
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        chunks = splitter.split_documents(pages)
        for c in chunks:
            m = c.metadata
            m["chunk_id"] = f"{m['doc_id']}:{m['page']}:{m['start_index']}"
        return chunks

    def corpus_texts(self) -> list[str]:
        """The naive chunks' texts."""
        return self.store.get(include=["documents"])["documents"]

    def retrieve(self, query: str) -> list[Passage]:
        """Chroma similarity top-k as Passages (page = PyPDFLoader's 0-based page + 1)."""
        out = []
        for rank, (d, dist) in enumerate(self.store.similarity_search_with_score(query, k=self.settings.top_k), 1):
            m = d.metadata
            page = int(m["page"]) + 1
            sim = round(1.0 - float(dist) / 2.0, 4)  # squared L2 on unit vectors -> cosine
            _, entry = self.docs.get(m["doc_id"], (None, None))
            out.append(Passage(
                id=m.get("chunk_id", ""), doc_id=m["doc_id"], title=entry.title if entry else m["doc_id"],
                text=d.page_content, page_start=page, page_end=page, page_label="", section="",
                score=sim, dense_rank=rank, dense_score=sim, version=(entry.version or "") if entry else "",
                category=entry.category if entry else "", section_marks="[]", page_marks="[]",
            ))
        return out


def make_pipeline(settings: Settings, answerer: str = "extractive", provider: str | None = None,
                  baseline: str | None = None, on_progress=None) -> Pipeline:
    """The pipeline for a run: ours by default, else a named baseline."""
    if baseline is None:
        return AssistantPipeline(settings, answerer, provider)
    if answerer != "extractive":
        raise CarbonQAError("baselines use the extractive answerer; drop --answerer llm or --baseline")
    if baseline == "bm25":
        return BM25Baseline(settings)
    if baseline == "naive":
        return NaiveBaseline(settings, on_progress)
    raise CarbonQAError(f"unknown baseline '{baseline}' ({' or '.join(BASELINES)})")
