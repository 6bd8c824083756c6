"""`disclosure build` end to end after one report is added or changed.

    python -m bench.rebuild [--tree DIR] [--rounds 2] [--label TEXT]
        [--workdir /tmp/rebuild] [--out bench/rebuild.json]

Per round, in a fresh WORKDIR/<label>-<round>/ (raw folder, cache, build
database and warehouse of its own): `disclosure build` on the seed reports of
raw/ but the last (full), again with nothing changed (noop), after copying
the last one in (add_one), and after appending a line to it (change_one).
Each build is a child process timed by wall clock, with its peak RSS
(os.wait4) and the 1-minute load average before it.

--tree runs the code of another checkout of this project (its orchestration
and dbt project, through PYTHONPATH) with this checkout's virtualenv, so two
revisions are measured on the same files one after the other.
"""

import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from bench.run import machine

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "disclosure")


def build(tree: Path, work: Path, step: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    env |= {
        "PYTHONPATH": str(tree),
        "DISCLOSURE_RAW": str(work / "raw"),
        "DISCLOSURE_CACHE": str(work / "cache.duckdb"),
        "DISCLOSURE_SHARDS": str(work / "shards"),
        # the build database shares the warehouse's file name (dbt's views name it)
        "DISCLOSURE_BUILD_DB": str(work / "build" / "warehouse.duckdb"),
        "DISCLOSURE_WAREHOUSE": str(work / "warehouse.duckdb"),
    }
    load = os.getloadavg()[0]
    with open(work / f"{step}.log", "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [CLI, "build"], cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    return {
        "seconds": round(seconds, 2),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "exit": os.waitstatus_to_exitcode(status),
        "load_before": round(load, 2),
    }


def run_round(tree: Path, work: Path) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    (work / "raw").mkdir(parents=True)
    *first, last = sorted(p for p in (tree / "raw").iterdir() if p.is_file())
    for p in first:
        shutil.copy2(p, work / "raw" / p.name)
    steps = {"full": build(tree, work, "full"), "noop": build(tree, work, "noop")}
    shutil.copy2(last, work / "raw" / last.name)
    steps["add_one"] = build(tree, work, "add_one")
    with open(work / "raw" / last.name, "a", encoding="utf-8") as f:
        f.write("\n本报告由本机关负责解释。\n")
    steps["change_one"] = build(tree, work, "change_one")
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--label", default="head")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rebuild"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "rebuild.json")
    a = ap.parse_args()
    tree = a.tree.resolve()
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    results = json.loads(a.out.read_text()) if a.out.exists() else {"runs": []}
    results["machine"] = machine()
    for r in range(1, a.rounds + 1):
        steps = run_round(tree, a.workdir / f"{a.label}-{r}")
        results["runs"].append({"label": a.label, "round": r, "commit": commit, "steps": steps})
        a.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(a.label, r, {k: (v["seconds"], v["exit"]) for k, v in steps.items()})


if __name__ == "__main__":
    main()
