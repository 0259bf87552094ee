"""Bench parts that run in fresh processes: a cold `carbonqa ingest --force`, a cold naive build, the machine.

A user's first ingest pays for interpreter start, imports, model load and first-call work that a
warm in-process measurement hides; these numbers are what `make run` on a fresh clone sees.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from ingest.errors import CarbonQAError
from ingest.settings import INDEX_FIELDS, Settings

REPO = Path(__file__).resolve().parents[1]
# CPU features that decide how fast MiniLM encodes (int8 kernels need VNNI/AMX to shine).
CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
             "avx512_bf16", "amx_bf16", "amx_int8")
# What a cold child needs to build the same index as the warm call.
PASSED = ("data_dir", "corpus_dir", "manifest", "embed_batch_size", *INDEX_FIELDS)


def machine_info() -> dict:
    """CPU model, the flags that matter for encoding, cores and memory."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    mem = None
    try:
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {"cpu_model": model, "cpu_flags": [f for f in CPU_FLAGS if f in flags], "cores": os.cpu_count(),
            "memory_gb": mem, "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}"}


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a child process that must use exactly these settings (and no config file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARBONQA_")}
    for name in PASSED:
        value = getattr(settings, name)
        if value is not None:
            env[f"CARBONQA_{name.upper()}"] = str(value)
    env["CARBONQA_CONFIG"] = str(Path(settings.data_dir) / "no-carbonqa.toml")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def _run(args: list[str], settings: Settings, what: str) -> dict:
    """Run a child to completion; its wall and CPU seconds (the CPU figure is load-independent work)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(args, env=child_env(settings), cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise CarbonQAError(f"bench: {what} exited {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": round(wall, 2), "cpu": round(cpu, 2), "stdout": proc.stdout}


def measure_cold_ingest(settings: Settings) -> dict:
    """`carbonqa ingest --force` in a fresh process, timed from its start to its exit."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    out = _run([sys.executable, "-c", "from assistant.cli import main; main()", "ingest", "--force"],
               settings, "cold `carbonqa ingest --force`")
    return {"ingest_cold_process_seconds": out["wall"], "ingest_cold_process_cpu_seconds": out["cpu"]}


def measure_cold_naive(settings: Settings) -> dict:
    """The naive LangChain index built from scratch in a fresh process (imports and model load included)."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    out = _run([sys.executable, "-m", "evals.bench_cold", "naive"], settings, "cold naive build")
    return {"naive_ingest_cold_seconds": out["wall"], "naive_ingest_cold_cpu_seconds": out["cpu"],
            "naive_chunks_cold": json.loads(out["stdout"].strip().splitlines()[-1])["chunks"]}


def measure_warm_naive(settings: Settings) -> dict:
    """The naive index built in this process with its embedding model already loaded (like our warm call)."""
    import shutil

    from evals.baselines import NaiveBaseline, naive_embedder

    naive_embedder(settings).embed(["warm up"])  # model load is a process-start cost, as for ours
    shutil.rmtree(Path(settings.data_dir) / "naive", ignore_errors=True)
    t = time.perf_counter()
    base = NaiveBaseline(settings)
    secs = time.perf_counter() - t
    return {"naive_ingest_seconds": round(secs, 2), "naive_chunks": len(base.corpus_texts())}


def _naive_main() -> None:
    """Child entry point: build the naive index from scratch and print its chunk count as JSON."""
    import shutil

    from evals.baselines import NaiveBaseline
    from ingest.settings import get_settings

    settings = get_settings()
    shutil.rmtree(Path(settings.data_dir) / "naive", ignore_errors=True)
    base = NaiveBaseline(settings)
    print(json.dumps({"chunks": len(base.corpus_texts())}))


if __name__ == "__main__" and sys.argv[1:] == ["naive"]:
    _naive_main()
