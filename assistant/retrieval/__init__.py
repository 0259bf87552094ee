"""Retrieval: hybrid search (BM25 + dense, fused), query text, follow-up rewrite, versions in force."""
