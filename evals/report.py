"""Reports: one run as markdown with PNG plots, several runs side by side in a rich table."""
from __future__ import annotations

import json
from pathlib import Path

from ingest.errors import CarbonQAError

# The rows a reader compares first; the rest stay in metrics.json.
HEADLINE = [
    "primary", "page_recall@1", "page_recall@5", "page_recall@10", "page_hit@5", "doc_recall@5", "mrr@10",
    "ndcg@10", "key_fact_recall", "key_fact_recall_answered", "exact_match", "contains_answer",
    "citation_validity", "citation_precision", "citation_recall", "abstain_recall", "false_abstain_rate",
    "answerability_auc", "retrieval_ms_p50", "retrieval_ms_p95", "total_ms_p50", "total_ms_p95",
]
LOWER_IS_BETTER = {"false_abstain_rate", "runtime_s", "retrieval_ms_p50", "retrieval_ms_p95", "total_ms_p50",
                   "total_ms_p95"}


def _fmt(x, metric: str = "") -> str:
    """Scores to 3 decimals, latencies (…_ms…) to whole ms; None as a dash."""
    if x is None:
        return "–"
    if "_ms" in metric or metric == "runtime_s":
        return f"{x:.1f}" if abs(x) < 10 else f"{x:.0f}"  # BM25 alone answers in ~1 ms
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def run_label(meta: dict, path: Path | None = None) -> str:
    """A short name for a run: the baseline, else the answerer (plus the folder when given)."""
    name = f"baseline:{meta['baseline']}" if meta.get("baseline") else str(meta.get("answerer", "?"))
    return f"{path.name} ({name})" if path is not None and path.name not in name else name


def plot_by_type(meta: dict, path: Path) -> None:
    """Grouped bars per question type: key-fact recall and page recall@5."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt

    types = [t for t in meta["by_type"] if t != "unanswerable"]
    kf = [meta["by_type"][t].get("key_fact_recall") or 0 for t in types]
    pr = [meta["by_type"][t].get("page_recall@5") or 0 for t in types]
    fig, ax = plt.subplots(figsize=(8, 4))
    xs = range(len(types))
    ax.bar([x - 0.2 for x in xs], kf, 0.4, label="key-fact recall")
    ax.bar([x + 0.2 for x in xs], pr, 0.4, label="page recall@5")
    ax.set_xticks(list(xs), [f"{t}\n(n={meta['by_type'][t]['n']})" for t in types])
    ax.set_ylim(0, 1)
    ax.set_title(f"By question type — {run_label(meta)}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(records: list[dict], path: Path) -> None:
    """Histogram of retrieval and total latency per question."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for key in ("retrieval_ms", "total_ms"):
        vals = [r["timings"][key] for r in records if r["timings"].get(key) is not None]
        if vals:
            ax.hist(vals, bins=30, alpha=0.6, label=key)
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("questions")
    ax.set_title("Latency per question")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _table(rows: dict[str, dict], cols: list[str]) -> list[str]:
    """A markdown table: one row per key of `rows`, one column per metric."""
    lines = ["| | n | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for name, m in rows.items():
        lines.append(f"| {name} | {m.get('n', '')} | " + " | ".join(_fmt(m.get(c)) for c in cols) + " |")
    return lines


def _failures(records: list[dict], limit: int = 25) -> list[str]:
    """Answerable questions whose answer missed every key fact, or that abstained wrongly."""
    lines = []
    for r in records:
        m = r["metrics"]
        if not r["answerable"]:
            if not r["abstained"]:
                lines.append(f"- {r['id']} ({r['type']}): answered an unanswerable question")
        elif r["abstained"] or (m.get("key_fact_recall") == 0):
            why = "abstained" if r["abstained"] else "no key fact in the answer"
            lines.append(f"- {r['id']} ({r['type']}): {why}; page recall@5 {_fmt(m.get('page_recall@5'))}")
    return lines[:limit] + ([f"- … and {len(lines) - limit} more"] if len(lines) > limit else [])


def write_report(out_dir: Path, meta: dict, records: list[dict]) -> Path:
    """DIR/report.md with tables, the failure list and two PNG plots."""
    plot_by_type(meta, out_dir / "by_type.png")
    plot_latency(records, out_dir / "latency.png")
    o = meta["overall"]
    cols = ["primary", "page_recall@5", "mrr@10", "ndcg@10", "key_fact_recall", "citation_precision",
            "citation_validity", "false_abstain_rate", "abstain_recall", "answerability_auc"]
    md = [
        f"# Evaluation: {run_label(meta)}",
        "",
        f"- questions: `{meta['questions_file']}` ({meta['n']} rows, sha256 {meta['questions_sha256'][:12]})",
        f"- primary: **{meta['primary']['name']} = {_fmt(meta['primary']['value'])}** ({meta['primary'].get('definition', '')})",
        f"- settings digest `{meta['settings_digest']}`, code `{meta['code_version']}`, created {meta['created']}, "
        f"runtime {meta.get('runtime_s', '?')} s, errors {o.get('n_errors', 0)}",
        "",
        "## Overall",
        "",
        "| metric | value |",
        "|---|---|",
        *[f"| {k} | {_fmt(o.get(k), k)} |" for k in HEADLINE if k in o],
        "",
        "## By question type",
        "",
        *_table(meta["by_type"], cols),
        "",
        "![by type](by_type.png)",
        "",
        "## By document",
        "",
        *_table(meta["by_doc"], ["page_recall@5", "doc_recall@5", "mrr@10", "key_fact_recall", "citation_precision"]),
        "",
        "## Latency",
        "",
        f"retrieval p50 {_fmt(o.get('retrieval_ms_p50'), '_ms')} ms, p95 {_fmt(o.get('retrieval_ms_p95'), '_ms')} ms; "
        f"total p50 {_fmt(o.get('total_ms_p50'), '_ms')} ms, p95 {_fmt(o.get('total_ms_p95'), '_ms')} ms.",
        "",
        "![latency](latency.png)",
        "",
        "## Misses",
        "",
        *(_failures(records) or ["(none)"]),
        "",
    ]
    path = out_dir / "report.md"
    path.write_text("\n".join(md), encoding="utf-8")
    return path


def load_run(path: Path) -> dict:
    """metrics.json of a run folder (or the file itself)."""
    path = Path(path)
    f = path / "metrics.json" if path.is_dir() else path
    if not f.exists():
        raise CarbonQAError(f"{path}: no metrics.json (run `carbonqa eval run --out {path}` first)")
    meta = json.loads(f.read_text(encoding="utf-8"))
    if meta.get("schema") != 1:
        raise CarbonQAError(f"{f}: metrics schema {meta.get('schema')!r}; this version reads schema 1")
    return meta


def _cell(value, base, metric: str) -> str:
    """Value plus the ratio to the first run; the ratio is coloured by better/worse."""
    if value is None:
        return "–"
    if not base:  # no baseline value (or zero): a ratio would be meaningless
        return _fmt(value, metric)
    ratio = value / base
    better = ratio < 1 if metric in LOWER_IS_BETTER else ratio > 1
    colour = "green" if better and abs(ratio - 1) > 0.005 else "red" if abs(ratio - 1) > 0.005 else "dim"
    return f"{_fmt(value, metric)} [{colour}]×{ratio:.2f}[/{colour}]"


def side_by_side(runs: list[tuple[str, dict]], metrics: list[str] | None = None, by_type: bool = True):
    """A rich Table: one row per metric (and per type's primary score), one column per run, ratios vs the first."""
    from rich.table import Table

    if len(runs) < 2:
        raise CarbonQAError("give two or more run folders to compare")
    metrics = metrics or [m for m in HEADLINE if any(m in meta["overall"] for _, meta in runs)]
    table = Table(title="Evaluation runs (ratio vs the first run)")
    table.add_column("metric")
    for name, meta in runs:
        table.add_column(f"{name}\nn={meta['n']}", justify="right")
    base = runs[0][1]
    for m in metrics:
        table.add_row(m, *[_cell(meta["overall"].get(m), base["overall"].get(m), m) for _, meta in runs])
    if by_type:
        types = sorted({t for _, meta in runs for t in meta["by_type"]})
        for t in types:
            key = "abstain_recall" if t == "unanswerable" else "primary"
            table.add_row(f"{t}: {key}", *[
                _cell(meta["by_type"].get(t, {}).get(key), base["by_type"].get(t, {}).get(key), key) for _, meta in runs
            ])
    table.add_row("runtime_s", *[_cell(meta.get("runtime_s"), base.get("runtime_s"), "runtime_s") for _, meta in runs])
    return table


def compare_dirs(paths: list[Path]):
    """side_by_side over run folders, labelled by folder and pipeline."""
    return side_by_side([(run_label(load_run(p), Path(p)), load_run(p)) for p in paths])
