"""BM25 over the active chunks: rows in chunk-id order, cached on disk with the ids it was built over.

The cache is keyed by a digest of the chunk ids, not by the index version: Chroma returns chunks
in no promised order, and reverting a document gives an old version back in a new order.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import threading
from pathlib import Path

import numpy as np

from assistant.retrieval.text import STOP, TOKENIZER_VERSION, learn_acronyms, says_long_form, tokenize


# Acronyms of the corpus that are English words its text happens not to use in lower case.
_WORDS = frozenset({"era", "iris", "nap", "pat", "pin", "sec", "sight", "ted", "rec", "ree", "soc", "ver", "isa"})


def ids_digest(ids: list[str]) -> str:
    """Digest of a set of chunk ids (order-free): what a BM25 index was built over."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def bm25_cache_dir(data_dir: Path, ids: list[str]) -> Path:
    """Where the BM25 index over exactly these chunks is cached."""
    return Path(data_dir) / "bm25" / ids_digest([*ids, f"tokenizer:{TOKENIZER_VERSION}"])


class LexicalIndex:
    """BM25 over the active chunks, in id order, cached on disk with the ids it was built over."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict], cache_dir=None):
        import bm25s

        # Rows in id order: Chroma returns chunks in no promised order, and the cache is by row.
        order = sorted(range(len(ids)), key=ids.__getitem__)
        self.ids = [ids[i] for i in order]
        self.texts = [texts[i] for i in order]
        self.metas = [metas[i] for i in order]
        self.doc_of = np.array([m["doc_id"] for m in self.metas])
        self.row_of = {cid: row for row, cid in enumerate(self.ids)}  # dense hits are looked up here
        self._next: dict[str, int] | None = None
        self._prev: dict[str, int] = {}
        self.acronyms = learn_acronyms(self.texts)
        self._typed: dict[str, str] | None = None
        self._closest: dict[str, str | None] = {}
        self._alpha: list[str] | None = None
        self._masks: dict[frozenset, np.ndarray] = {}
        self.bm25 = self._load(Path(cache_dir)) if cache_dir is not None else None
        if self.bm25 is None:
            self.bm25 = bm25s.BM25()
            heads = [f"{m.get('title', '')} {m.get('section', '')}" for m in self.metas]
            self.bm25.index([tokenize(h + "\n" + t) for h, t in zip(heads, self.texts)], show_progress=False)
            if cache_dir is not None:
                self._save(Path(cache_dir))
        self.vocab = self.bm25.vocab_dict

    def following(self, cid: str) -> int | None:
        """Row of the chunk that comes next in chunk cid's document, or None (a list may run on there)."""
        if self._next is None:
            order = sorted(range(len(self.ids)), key=lambda r: (self.metas[r]["doc_id"],
                                                                int(self.metas[r].get("char_start", 0))))
            self._next = {self.ids[a]: b for a, b in zip(order, order[1:])
                          if self.metas[a]["doc_id"] == self.metas[b]["doc_id"]}
            self._prev = {self.ids[b]: a for a, b in zip(order, order[1:])
                          if self.metas[a]["doc_id"] == self.metas[b]["doc_id"]}
        return self._next.get(cid)

    def preceding(self, cid: str) -> int | None:
        """Row of the chunk that comes before chunk cid in its document, or None (a sentence may start there)."""
        self.following(cid)
        return self._prev.get(cid)

    def _load(self, cache_dir: Path):
        """The cached index, only if it was built over exactly these ids (else None)."""
        import bm25s

        try:
            if json.loads((cache_dir / "ids.json").read_text(encoding="utf-8")) != self.ids:
                return None
            return bm25s.BM25.load(str(cache_dir))
        except Exception:  # absent or damaged cache: rebuilt by the caller
            return None

    def _save(self, cache_dir: Path) -> None:
        """Write the index and its ids to a temp folder, then rename it into place (readers never see half)."""
        tmp = cache_dir.with_name(f".{cache_dir.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            self.bm25.save(str(tmp))
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            shutil.rmtree(cache_dir, ignore_errors=True)  # a stale or damaged cache under this name
            os.replace(tmp, cache_dir)
        except OSError:  # a read-only data dir or a concurrent writer: the index still works in memory
            shutil.rmtree(tmp, ignore_errors=True)

    def expand(self, query: str) -> str:
        """text.expand_query with this index's acronyms, exactly, without a regex per acronym per query.

        A regex only runs for acronyms that occur in the query as plain text: with hundreds of
        acronyms the per-acronym regexes were several milliseconds of every question.
        """
        extra, low = [], query.lower()
        typed = self.typed_lower()
        # "ndcs" names NDC; "does" is no plural of DOE
        lower = {typed.get(t) or typed.get(t[:-1] if t.endswith("s") and t not in STOP else "")
                 for t in re.findall(r"[a-z][a-z0-9-]+", query)}
        for acr, long in self.acronyms.items():
            if (acr in query and re.search(rf"\b{re.escape(acr)}s?\b", query)) or acr in lower:
                if not says_long_form(long, low):
                    extra.append(long)
            elif says_long_form(long, low):
                extra.append(acr)
        return query + (" (" + "; ".join(extra) + ")" if extra else "")

    def closest_word(self, word: str) -> str | None:
        """The indexed word a name no document contains was probably meant as ("Standrad" -> "standard"), or None.

        Only a near spelling with the same first letter of a word at least 5 letters long: a hint for the
        asker, never a silent rewrite ("unforested" is not a typo of "forested").
        """
        low = word.lower().strip("'’")
        if len(low) < 5 or not low.isalpha():
            return None
        if low not in self._closest:
            toks = tokenize(low)  # the index's own light stemming: "methodolgies" meets "methodology"
            key = toks[0] if len(toks) == 1 else low
            near = [w for w in difflib.get_close_matches(key, self._words(), n=3, cutoff=0.8) if w[0] == low[0]]
            self._closest[low] = near[0] if near else None
        return self._closest[low]

    def _words(self) -> list[str]:
        """Plain alphabetic indexed words, for spelling hints."""
        if self._alpha is None:
            self._alpha = [w for w in self.vocab if w.isalpha() and len(w) >= 4]
        return self._alpha

    def typed_lower(self) -> dict[str, str]:
        """Acronyms a user may type in lower case ("ndc", "jcm"), by that spelling: those of 3+ characters
        whose lower-case form the corpus never uses as a word ("per", "led", "sight" stay words)."""
        if self._typed is None:
            cands = {a.lower(): a for a in self.acronyms if len(a) >= 3 and a.isupper()}
            seen: set[str] = set()
            if cands:
                # a lower-case use, not a web address or file name ("cdm.unfccc.int")
                pat = re.compile(r"(?<![\w./@-])(%s)s?(?![\w./@-])" % "|".join(map(re.escape, sorted(cands))))
                for t in self.texts:
                    seen.update(m.group(1) for m in pat.finditer(t))
            self._typed = {low: a for low, a in cands.items() if low not in seen and low not in _WORDS}
        return self._typed

    def search(self, query: str, k: int, allowed: set[str] | None) -> list[tuple[int, float]]:
        """Top-k (row, score) for the query, restricted to allowed documents."""
        toks = [t for t in tokenize(query) if t in self.vocab]
        if not toks or not self.ids:
            return []
        scores = self.bm25.get_scores(toks)
        if allowed is not None:
            scores = np.where(self._mask(allowed), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def _mask(self, allowed: set[str]) -> np.ndarray:
        """Rows of the allowed documents (cached: the same filter recurs across questions)."""
        key = frozenset(allowed)
        if key not in self._masks:
            if len(self._masks) > 64:
                self._masks.clear()
            self._masks[key] = np.isin(self.doc_of, list(key))
        return self._masks[key]
