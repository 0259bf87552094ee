"""Smoke test of `carbonqa bench --quick` on the tiny generated corpus: outputs and keys, never timings."""
from __future__ import annotations

import json

import pytest

REQUIRED = [
    "ingest_seconds", "pages_per_second", "embedding_fraction_of_limit", "ingest_fraction_of_limit",
    "reingest_seconds", "retrieval_p50_ms", "retrieval_p95_ms", "extractive_p95_ms", "llm_ttft_seconds",
    "scaling", "naive_ingest_ratio", "naive_retrieval_ratio", "cores", "settings_digest",
]


@pytest.mark.slow
def test_bench_quick_writes_results_readme_and_plot(tmp_settings, tmp_path, cli):
    """--quick ingests the 2-document corpus, runs factors 1 and 2, and writes all three outputs."""
    out = tmp_path / "bench-out"
    result = cli("bench", "--quick", "--out", out)
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())
    assert not [k for k in REQUIRED if k not in res]
    assert res["quick"] is True and res["documents"] == 2 and res["questions"] == 5
    assert res["llm_ttft_seconds"] is None  # quick runs never load the LLM
    assert sorted(res["scaling"]) == ["1x", "2x"]
    one, two = res["scaling"]["1x"], res["scaling"]["2x"]
    assert two["chunks"] == 2 * one["chunks"] == 2 * res["chunks"]
    assert two["pages"] == 2 * res["pages"]
    assert one["ingest_seconds_per_page"] is not None and two["ingest_seconds_per_page"] is None
    assert res["reingest_reprocessed"] == 0 and res["reingest_skipped"] == 2
    # The raw-encode limit embeds exactly what was stored.
    assert res["raw_vs_stored_min_cosine"] > 0.99
    assert set(res["targets"]) >= {"ingest_cold_seconds", "retrieval_p95_ms", "llm_ttft_seconds"}
    assert res["targets"]["llm_ttft_seconds"]["met"] is None
    readme = (out / "README.md").read_text()
    assert "| measure | value | target | met |" in readme and "quick run" in readme
    assert (out / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The developer's data dir is untouched: the bench works in its own temp dir.
    assert not (tmp_settings.data_dir / "chroma").exists()


def test_parse_factors_rejects_nonsense():
    """--factors takes positive integers only; duplicates collapse and order does not matter."""
    from assistant.cli.bench import parse_factors
    from ingest.errors import CarbonQAError

    assert parse_factors("16,1,4,4") == (1, 4, 16)
    for bad in ("", "0,2", "a,b"):
        with pytest.raises(CarbonQAError):
            parse_factors(bad)
