"""Ingestion: PDFs and text files become page-aware, section-aware chunks in Chroma."""
