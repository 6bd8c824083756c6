"""The dbt warehouse at national scale: `dbt build` over synthetic landing tables.

    python -m bench.warehouse_scale [--sizes 1000,100000] [--seed 0]
        [--steps generate,full,noop,add_one,change_one] [--full-refresh] [--in-process]
        [--project REV|worktree] [--memory-mb MB] [--label TEXT]
        [--workdir DIR] [--out bench/warehouse_scale.json]

Per size N, in WORKDIR/size_N/ (a fresh build database unless `generate` is
left out of --steps, which reuses the one there):

  generate     landing tables for N reports (bench.landing_scale), no documents
  full         `dbt build`: seeds, models, tests
  noop         `dbt build` again, nothing changed, with the options of an incremental
               `disclosure build` (no unit tests, views and seeds left as they are,
               tests on the reports rebuilt; so too add_one and change_one)
  add_one      report N's landing rows added, then `dbt build`
  change_one   report N // 2's values changed (a new content hash), then `dbt build`
  full_refresh `dbt build --full-refresh` (not run unless named)

Each step runs in a child process timed by wall clock, with its peak RSS
(ru_maxrss from os.wait4: the child's largest resident set, dbt and DuckDB in
one process), the 1-minute load average before and after, the database file's
size after it, and for dbt the per-node timings of run_results.json (the 15
slowest) and the row counts of the marts. --full-refresh passes
--full-refresh to every dbt build. --in-process runs each dbt command as the
dbt asset does (bench/dbt_step.py: in a process that first imports the Dagster
definitions, as a run's process has before its dbt step); the step's entry
then also has the dbt command's own seconds.

dbt runs on a copy of the dbt project (`--project REV`: as committed at the
git revision REV, HEAD by default; `worktree`: the files as they are now) with
its target and log folders in WORKDIR, so neither the project's manifest nor
edits made while this runs reach it. Its --vars are the build's
(Settings.dbt_vars(): DuckDB's memory limit among them), the build database
replaced; --memory-mb sets the memory limit.

Results are written after every step, one entry per (size, --label); entries
not run are kept from the output file, and a run without `generate` adds its
steps to the entry of the database it reuses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.run import code_state, machine, table
from orchestration.incremental import WHOLE_PROJECT_VARS, whole_project_options
from orchestration.project import DBT_EXECUTABLE
from orchestration.settings import Settings, connect

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
STEPS = ("generate", "full", "noop", "add_one", "change_one", "full_refresh")
DEFAULT_STEPS = STEPS[:-1]
LANDING_STEPS = {"generate": [], "add_one": ["--add-one"], "change_one": ["--change-one"]}
# As `disclosure build` runs them (orchestration/incremental.py): the unit tests only
# with the first build and a full refresh; an incremental build leaves the views and
# seeds as they are, and the tests that read only those (its options come from the
# manifest the full build wrote).
INCREMENTAL = "incremental"
DBT_AFTER = {
    "full": [],
    "noop": INCREMENTAL,
    "add_one": INCREMENTAL,
    "change_one": INCREMENTAL,
    "full_refresh": ["--full-refresh"],
}
SLOWEST = 15


def timed(cmd: list[str], log: Path, env: dict | None = None) -> dict:
    """Run cmd to completion: wall and CPU seconds, peak RSS, exit status, load average."""
    load = os.getloadavg()[0]
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "exit": os.waitstatus_to_exitcode(status),
        "load_before_after": [round(load, 2), round(os.getloadavg()[0], 2)],
        "log": str(log),
    }


def copy_project(source: str, dest: Path) -> dict:
    """The dbt project to run, copied to `dest`: as committed at a revision or as it is now."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    commit = None
    if source != "worktree":
        commit = subprocess.run(
            ["git", "rev-parse", "--verify", f"{source}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "dbt_project"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        shutil.copytree(
            ROOT / "dbt_project",
            dest / "dbt_project",
            ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
        )
    project = dest / "dbt_project"
    files = sorted(p for p in project.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.relative_to(project).as_posix().encode() + b"\0" + p.read_bytes())
    return {
        "source": source,
        "commit": commit,
        # A profile from before the memory limit was a var ignores it.
        "profile_reads_memory_limit": "var('memory_limit'"
        in (project / "profiles.yml").read_text(encoding="utf-8"),
        "path": str(project),
        "files": len(files),
        "digest": digest.hexdigest()[:16],
    }


def dbt_vars(db: Path, memory_mb: int | None) -> dict:
    """The build's --vars for dbt, on the database `db`."""
    found = {**Settings.from_env().dbt_vars(), "build_db": str(db)}
    if memory_mb:
        found["memory_limit"] = f"{memory_mb}MB"
    return found


def dbt_command(
    project: Path, dbt_vars: dict, work: Path, extra: list[str], in_process: bool = False
) -> list[str]:
    """The dbt CLI's command, or with `in_process` the same arguments run as the dbt
    asset runs them (bench/dbt_step.py)."""
    runner = [PYTHON, "-m", "bench.dbt_step"] if in_process else [DBT_EXECUTABLE]
    return [
        *runner,
        "build",
        *extra,
        "--vars",
        json.dumps(dbt_vars),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(work / "dbt-target"),
        "--log-path",
        str(work / "dbt-logs"),
    ]


def dbt_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    return {**env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}


def node_results(target: Path) -> dict:
    """Totals by resource type and status, and the slowest nodes, from run_results.json."""
    path = target / "run_results.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    nodes = []
    for r in data["results"]:
        kind, _, *name = r["unique_id"].split(".")
        nodes.append(
            {
                # A data test's id ends in a hash of its arguments.
                "node": name[0] if kind == "test" else ".".join(name),
                "type": kind,
                "status": r["status"],
                "seconds": round(r.get("execution_time") or 0.0, 3),
                "rows": (r.get("adapter_response") or {}).get("rows_affected"),
                "message": r.get("message"),
            }
        )
    by_type: dict[str, dict] = {}
    for n in nodes:
        t = by_type.setdefault(n["type"], {"nodes": 0, "seconds": 0.0, "status": {}})
        t["nodes"] += 1
        t["seconds"] = round(t["seconds"] + n["seconds"], 2)
        t["status"][n["status"]] = t["status"].get(n["status"], 0) + 1
    failed = [n for n in nodes if n["status"] not in ("success", "pass", "skipped")]
    return {
        "dbt_elapsed_seconds": round(data.get("elapsed_time") or 0.0, 2),
        "nodes": len(nodes),
        "by_type": by_type,
        "not_passed": failed[:20],
        "slowest": [
            {k: v for k, v in n.items() if k != "message"}
            for n in sorted(nodes, key=lambda n: -n["seconds"])[:SLOWEST]
        ],
    }


def file_size(db: Path) -> dict:
    wal = db.with_name(db.name + ".wal")
    size = db.stat().st_size if db.exists() else 0
    return {
        "db_mib": round(size / 2**20, 1),
        "wal_mib": round(wal.stat().st_size / 2**20, 1) if wal.exists() else 0.0,
    }


def row_counts(db: Path) -> dict:
    """Rows of every table of the landing and marts schemas, and findings by rule."""
    with connect(db, read_only=True) as con:
        found = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' "
            "and table_schema in ('landing', 'marts') order by 1, 2"
        ).fetchall()
        out = {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in found
        }
        if ("marts", "consistency_finding") in found:
            out["findings_by_rule"] = dict(
                con.execute(
                    "select rule, count(*) from marts.consistency_finding group by 1 order by 2 desc"
                ).fetchall()
            )
    return out


def landing_command(db: Path, n: int, seed: int, step: str) -> list[str]:
    return [
        PYTHON,
        "-m",
        "bench.landing_scale",
        str(db),
        "--reports",
        str(n),
        "--seed",
        str(seed),
    ] + (LANDING_STEPS[step])


def run_step(step: str, n: int, a, work: Path, project: Path, db: Path) -> dict:
    out: dict = {}
    if step in LANDING_STEPS:
        run = timed(landing_command(db, n, a.seed, step), work / f"{step}_landing.log")
        log = Path(run["log"]).read_text(encoding="utf-8", errors="replace").strip()
        if not run["exit"]:
            run["result"] = json.loads(log.splitlines()[-1])
        else:
            run["log_tail"] = log.splitlines()[-15:]
        out["landing"] = run
        if run["exit"] or step == "generate":
            out.update(file_size(db))
            return out
    target = work / "dbt-target"
    incremental = DBT_AFTER[step] == INCREMENTAL and not a.full_refresh
    if a.full_refresh:
        extra = ["--full-refresh"]
    elif incremental:
        extra = whole_project_options(json.loads((target / "manifest.json").read_text()))
    else:
        extra = list(DBT_AFTER[step])
    if a.threads:
        extra += ["--threads", str(a.threads)]
    step_vars = dbt_vars(db, a.memory_mb)
    if incremental:
        step_vars |= WHOLE_PROJECT_VARS  # tests on the rows rebuilt, as `disclosure build`
    cmd = dbt_command(project, step_vars, work, extra, a.in_process)
    (target / "run_results.json").unlink(missing_ok=True)
    run = timed(cmd, work / f"{step}_dbt.log", env=dbt_env())
    runner = 3 if a.in_process else 1
    run["command"] = " ".join(cmd[: runner + 1 + len(extra)])
    if a.in_process and not run["exit"]:
        # The dbt command's own seconds, after the imports the run's process made.
        log = Path(run["log"]).read_text(encoding="utf-8", errors="replace")
        run["in_process"] = json.loads(log.strip().splitlines()[-1])
    run["vars"] = step_vars
    run.update(node_results(target))
    if run["exit"]:
        log = Path(run["log"]).read_text(encoding="utf-8", errors="replace")
        run["log_tail"] = log.strip().splitlines()[-15:]
    out["dbt"] = run
    out.update(file_size(db))
    if step in ("full", "full_refresh") and not run["exit"]:
        out["rows"] = row_counts(db)
    return out


def run_size(n: int, a, project: Path, save, earlier: dict | None) -> dict:
    label = re.sub(r"[^\w.-]+", "_", a.label)
    work = a.workdir / (f"size_{n}" + (f"_{label}" if label else ""))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "build.duckdb"
    if "generate" in a.steps:
        db.unlink(missing_ok=True)
        db.with_name(db.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(work / "dbt-target", ignore_errors=True)
    elif not db.exists():
        raise SystemExit(f"{db}: no build database to reuse (add generate to --steps)")
    res: dict = {
        "reports": n,
        "label": a.label,
        "command": a.command,
        "seed": a.seed,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "code": code_state(),
        "dbt_project": a.project_info,
        "full_refresh": a.full_refresh,
        "in_process": a.in_process,
        "steps": {},
    }
    if earlier and "generate" not in a.steps:
        res = {**earlier, "steps": dict(earlier["steps"])}
    print(f"\n== {n} reports ({work})", flush=True)
    for step in a.steps:
        at = {"at": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": code_state()["commit"]}
        r = {
            **at,
            "dbt_project": a.project_info["digest"],
            **run_step(step, n, a, work, project, db),
        }
        res["steps"][step] = r
        print("  " + summary_line(step, r), flush=True)
        save(res)
        if (r.get("landing") or {}).get("exit") or (r.get("dbt") or {}).get("exit"):
            print(f"  {step} failed, see {work}; later steps skipped", flush=True)
            break
    res["code_at_end"] = code_state()
    save(res)
    return res


def summary_line(step: str, r: dict) -> str:
    parts = [f"{step}:"]
    if "landing" in r:
        land = r["landing"]
        parts.append(f"landing {land['seconds']}s, {land['max_rss_mib']} MiB")
    if "dbt" in r:
        d = r["dbt"]
        parts.append(f"dbt {d['seconds']}s, {d['max_rss_mib']} MiB, exit {d['exit']}")
        if "in_process" in d:
            parts.append(f"(the dbt command in the process: {d['in_process']['dbt_seconds']}s)")
    parts.append(f"db {r['db_mib']} MiB")
    return " ".join(parts)


def render(sizes: list[dict]) -> str:
    out = []
    rows = []
    for s in sizes:
        for step, r in s["steps"].items():
            land, d = r.get("landing") or {}, r.get("dbt") or {}
            status = {}
            for t in (d.get("by_type") or {}).values():
                for k, v in t["status"].items():
                    status[k] = status.get(k, 0) + v
            rows.append(
                [
                    s["reports"],
                    step,
                    land.get("seconds", ""),
                    land.get("max_rss_mib", ""),
                    d.get("seconds", ""),
                    d.get("dbt_elapsed_seconds", ""),
                    d.get("max_rss_mib", ""),
                    " ".join(f"{k} {v}" for k, v in sorted(status.items())),
                    r["db_mib"],
                    (d or land).get("load_before_after", ""),
                ]
            )
    out.append(
        table(
            [
                "reports",
                "step",
                "landing s",
                "landing RSS MiB",
                "dbt wall s",
                "dbt elapsed s",
                "dbt RSS MiB",
                "nodes",
                "db MiB",
                "load before/after",
            ],
            rows,
        )
    )
    for s in sizes:
        for step in ("full", "add_one"):
            d = (s["steps"].get(step) or {}).get("dbt") or {}
            if d.get("slowest"):
                out.append(f"\n{s['reports']} reports, {step}: slowest nodes")
                out.append(
                    table(
                        ["node", "type", "status", "s"],
                        [[n["node"], n["type"], n["status"], n["seconds"]] for n in d["slowest"]],
                    )
                )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.warehouse_scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", default="1000,100000")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", default=",".join(DEFAULT_STEPS), help=f"of {','.join(STEPS)}")
    ap.add_argument(
        "--full-refresh", action="store_true", help="every dbt build with --full-refresh"
    )
    ap.add_argument("--threads", type=int, default=0, help="dbt --threads (default: the profile's)")
    ap.add_argument("--project", default="HEAD", help="a git revision, or worktree")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="run dbt as the dbt asset does, in a process that imported the definitions",
    )
    ap.add_argument(
        "--memory-mb",
        type=int,
        default=0,
        help="DuckDB's memory limit in dbt (default: the build's)",
    )
    ap.add_argument("--label", default="", help="tells this run's entries from others of a size")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/warehouse-scale"))
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "warehouse_scale.json")
    a = ap.parse_args(argv)
    a.steps = [s for s in a.steps.split(",") if s]
    unknown = set(a.steps) - set(STEPS)
    if unknown:
        ap.error(f"unknown steps {sorted(unknown)}; known: {', '.join(STEPS)}")
    a.workdir = a.workdir.resolve()
    sizes = [int(s) for s in a.sizes.split(",")]
    a.project_info = copy_project(a.project, a.workdir / "project")
    project = Path(a.project_info["path"])

    a.command = "python -m bench.warehouse_scale " + " ".join(argv or sys.argv[1:])
    kept = []
    if a.out.exists():
        try:
            kept = json.loads(a.out.read_text(encoding="utf-8")).get("sizes", [])
        except ValueError:
            pass
    # DuckDB's defaults on this machine (dbt's memory limit is in each step's vars).
    results = {"machine": machine(), "duckdb_defaults": duckdb_settings(), "sizes": kept}

    def key(entry: dict) -> tuple[int, str]:
        return entry["reports"], entry.get("label", "")

    def save(res: dict) -> None:
        others = [s for s in results["sizes"] if key(s) != key(res)]
        results["sizes"] = sorted([*others, res], key=key)
        a.out.write_text(
            json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
        )

    for n in sizes:
        earlier = next((s for s in kept if key(s) == (n, a.label)), None)
        run_size(n, a, project, save, earlier)
    print("\n" + render([s for s in results["sizes"] if s.get("label", "") == a.label]))
    return 0


def duckdb_settings() -> dict:
    with connect() as con:
        return dict(
            con.execute(
                "select name, value from duckdb_settings() where name in ('threads', 'memory_limit')"
            ).fetchall()
        )


if __name__ == "__main__":
    sys.exit(main())
