"""Extraction throughput of landing/extractions with 1 and with 2 partition processes.

    .venv/bin/python -m bench.partitions RAW_DIR --workdir /tmp/partitions-bench

Discovery runs once; then, for each process count, every partition the folder
has is materialized from a fresh cache and no shards, the partitions handed out
to that many processes in turn (as a run queue with `max_concurrent_runs` does),
each partition a Dagster run of its own (`dg.materialize`). Prints and writes
bench/partitions.json: wall seconds, contents parsed, contents per second, the
speed-up, and the 1-minute load average before and after each pass.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _settings(raw: Path, work: Path):
    from orchestration.settings import Settings

    return Settings.from_env({}, raw_dir=raw, warehouse=work / "warehouse" / "disclosure.duckdb")


def _discover(raw: Path, work: Path) -> list[str]:
    import dagster as dg
    import polars as pl

    from orchestration.assets.ingest import raw_folder, raw_report_files
    from orchestration.lock import BuildLock

    settings = _settings(raw, work)
    dg.materialize(
        [raw_folder, raw_report_files],
        selection=[raw_report_files],
        resources={"settings": settings, "build_lock": BuildLock(settings=settings)},
    )
    files = pl.read_parquet(settings.files_parquet).filter(pl.col("status") == "ok")
    return sorted({sha[0] for sha in files["source_sha256"]})


def _run_partition(args: tuple[str, str, str]) -> tuple[int, float]:
    import dagster as dg

    from orchestration.assets.extraction_partitions import extraction_partition

    raw, work, prefix = args
    result = dg.materialize(
        [extraction_partition],
        partition_key=prefix,
        resources={"settings": _settings(Path(raw), Path(work))},
    )
    event = result.asset_materializations_for_node("landing__extractions")[0]
    return int(event.metadata["contents_parsed"].value), float(event.metadata["seconds"].value)


def _pass(raw: Path, work: Path, prefixes: list[str], processes: int) -> dict:
    from orchestration.ingest import shards

    settings = _settings(raw, work)
    for shard in shards.shards(settings.shards_dir):
        shutil.rmtree(shard)
    settings.cache_db.unlink(missing_ok=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    # ProcessPoolExecutor: its processes may start the partitions' worker processes.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        runs = list(pool.map(_run_partition, [(str(raw), str(work), p) for p in prefixes]))
    wall = time.perf_counter() - started
    parsed = sum(n for n, _ in runs)
    return {
        "processes": processes,
        "partitions": len(prefixes),
        "contents_parsed": parsed,
        "wall_s": round(wall, 2),
        "contents_per_s": round(parsed / wall, 3),
        # inside the runs: parsing only, without each run's start (Dagster, a worker)
        "parse_s_per_run": [round(t, 2) for _, t in runs],
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", type=Path)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/partitions-bench"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "partitions.json")
    ap.add_argument("--processes", default="1,2")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    prefixes = _discover(args.raw.resolve(), args.workdir)
    passes = [
        _pass(args.raw.resolve(), args.workdir, prefixes, int(n)) for n in args.processes.split(",")
    ]
    base = passes[0]["contents_per_s"]
    for p in passes:
        p["speedup"] = round(p["contents_per_s"] / base, 2)
        print(
            f"{p['processes']} process(es): {p['contents_parsed']} contents in {p['wall_s']} s "
            f"({p['contents_per_s']}/s, {p['speedup']}x), load {p['load_before']:.2f} -> "
            f"{p['load_after']:.2f}"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    args.out.write_text(
        json.dumps({"raw": str(args.raw), "commit": commit, "passes": passes}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
