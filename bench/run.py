"""The benchmark: one corpus, measured at several sizes, in one run.

    python -m bench.run [--sizes 100,300,1000] [--workdir DIR] [--seed S] [--out bench/results.json]

1. generates max(sizes)+1 reports (bench.corpus); the first N are the corpus of
   size N, the last one is the report added for the incremental rebuild;
2. per size: `extract_file` on every report, one process, timed per file, and
   checked against the gold (bench.measure parse); the naive pdfplumber pass
   on the same PDFs (bench.measure baseline);
3. per size: `disclosure build` from scratch, again with nothing changed, and
   again after adding one report; the warehouse scored with
   /work/shared/tools/score_gold.py after the full build;
4. prints the tables and writes the numbers as JSON.

Peak memory is ru_maxrss of each child process (os.wait4), which Linux
reports as the largest resident set of the process or any of its waited-for
descendants: the largest single process, not the sum of concurrent workers.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import REPORT_COLUMNS, REPORT_EXTRA, generate

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CLI = str(ROOT / ".venv" / "bin" / "disclosure")
# The warehouse scorer (reads the marts); set DISCLOSURE_SCORE_GOLD to use it.
SCORE = (
    Path(os.environ["DISCLOSURE_SCORE_GOLD"]) if os.environ.get("DISCLOSURE_SCORE_GOLD") else None
)
FORMATS = ("pdf", "html", "docx", "text")


def timed(cmd: list[str], log: Path) -> dict:
    """Run cmd to completion: wall seconds, CPU seconds (user+system of the process and
    its waited-for descendants), peak RSS (MiB), exit status and the 1-minute load
    average before and after (others share this machine)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    load = os.getloadavg()[0]
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "max_rss_mib": usage.ru_maxrss / 1024,
        "exit": os.waitstatus_to_exitcode(status),
        "log": str(log),
        "load_before_after": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


def machine() -> dict:
    def first(path: str, key: str) -> str:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return (
                    line.split(":", 1)[1].strip()
                    if ":" in line
                    else line.split("=", 1)[1].strip('"')
                )
        return "?"

    return {
        "cpu": first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "ram_gib": round(int(first("/proc/meminfo", "MemTotal").split()[0]) / 2**20, 1),
        "python": platform.python_version(),
        "os": first("/etc/os-release", "PRETTY_NAME"),
        "kernel": platform.release(),
    }


def code_state() -> dict:
    """The commit, the files changed since, and the newest source mtime: others edit the
    project while this runs, and a run is only comparable with itself if this holds still."""

    def git(*a):
        return subprocess.run(
            ["git", *a], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    sources = [
        p
        for d in ("orchestration", "tests/fixtures", "dbt_project/models")
        for p in (ROOT / d).rglob("*")
        if p.suffix in (".py", ".sql", ".yml", ".ttf") and p.is_file()
    ]
    return {
        "commit": git("rev-parse", "HEAD"),
        "modified": git(
            "status", "--short", "--", "orchestration", "tests/fixtures", "dbt_project"
        ).splitlines(),
        "newest_source": time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(max(p.stat().st_mtime for p in sources))
        ),
    }


def subset(corpus: Path, dest: Path, n: int) -> tuple[list[dict], dict]:
    """The first n reports as their own corpus (hard links) and the next report, held back."""
    with open(corpus / "gold_reports.csv", encoding="utf-8") as f:
        reports = list(csv.DictReader(f))
    keep, extra = reports[:n], reports[n]
    shutil.rmtree(dest, ignore_errors=True)
    for r in keep:
        target = dest / "raw" / r["source_path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(corpus / "raw" / r["source_path"], target)
    stems = {r["report"] for r in keep}
    with (
        open(corpus / "gold_values.csv", encoding="utf-8") as f,
        open(dest / "gold_values.csv", "w", encoding="utf-8", newline="") as g,
    ):
        g.writelines(line for k, line in enumerate(f) if k == 0 or line.split(",", 1)[0] in stems)
    with open(dest / "gold_reports.csv", "w", encoding="utf-8", newline="") as g:
        w = csv.DictWriter(g, fieldnames=list(REPORT_COLUMNS + REPORT_EXTRA), lineterminator="\r\n")
        w.writeheader()
        w.writerows(keep)
    return keep, extra


def rates(files: list[dict]) -> dict:
    seconds = sum(f["seconds"] for f in files)
    cpu = sum(f["cpu"] for f in files)
    pages = sum(f["pages"] for f in files)
    return {
        "files": len(files),
        "pages": pages,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "cpu_ms_per_page": round(1000 * cpu / pages, 2) if pages else None,
        "reports_per_s": round(len(files) / seconds, 2) if seconds else None,
        "pages_per_s": round(pages / seconds, 1) if seconds else None,
        "ms_per_report": round(1000 * seconds / len(files), 1) if files else None,
        "ms_per_page": round(1000 * seconds / pages, 2) if pages else None,
    }


def accuracy_by(files: list[dict], keys) -> dict:
    """Cells right / cells total per group of reports (a report may be in several groups)."""
    out: dict[str, list[int]] = {}
    for f in files:
        for k in keys(f):
            acc = out.setdefault(k, [0, 0, 0, 0])  # reports, reports all right, cells right, cells
            acc[0] += 1
            acc[1] += f["right"] == f["cells"]
            acc[2] += f["right"]
            acc[3] += f["cells"]
    return {
        k: {"reports": a[0], "reports_all_right": a[1], "cells_right": a[2], "cells": a[3]}
        for k, a in sorted(out.items())
    }


def measure_parse(work: Path) -> dict:
    run = timed(
        [PYTHON, "-m", "bench.measure", "parse", str(work), str(work / "parse.json")],
        work / "parse.log",
    )
    if run["exit"]:
        raise SystemExit(f"parse loop failed, see {run['log']}")
    r = json.loads((work / "parse.json").read_text(encoding="utf-8"))
    by_format = {fmt: rates([f for f in r["files"] if f["format"] == fmt]) for fmt in FORMATS}
    slowest = sorted(r["files"], key=lambda f: -f["seconds"])[:5]
    return {
        "all": rates(r["files"]),
        "by_format": by_format,
        "max_rss_mib": round(run["max_rss_mib"], 1),
        "accuracy_by_format": accuracy_by(r["files"], lambda f: [f["format"]]),
        "accuracy_by_hazard": accuracy_by(
            r["files"],
            lambda f: [h.split("=")[0] for h in f["hazards"].split(";") if h] or ["none"],
        ),
        "cells_right": r["cells_right"],
        "cells_total": r["cells_total"],
        "accuracy": round(r["cells_right"] / r["cells_total"], 6) if r["cells_total"] else None,
        "mismatches": r["mismatches"],
        "unexpected_cells": r["unexpected_cells"],
        "identity_right": r["identity_right"],
        "identity_total": r["identity_total"],
        "identity_mismatches": r["identity_mismatches"],
        "errors": r["errors"],
        "issues": r["issues"],
        "slowest": slowest,
        "process_seconds": round(run["seconds"], 1),
        "load_before_after": run["load_before_after"],
    }


PDF_FONTS = {"embedded font": lambda h: "cid_font" not in h, "CID font": lambda h: "cid_font" in h}


def measure_baseline(work: Path, ours: list[dict]) -> dict:
    """The naive pass on the same PDFs, and our speed-up over it: all PDFs and per font."""
    run = timed(
        [PYTHON, "-m", "bench.measure", "baseline", str(work), str(work / "baseline.json")],
        work / "baseline.log",
    )
    if run["exit"]:
        raise SystemExit(f"baseline failed, see {run['log']}")
    files = json.loads((work / "baseline.json").read_text(encoding="utf-8"))["files"]
    hazards = {f["report"]: f["hazards"] for f in ours}

    def compare(keep) -> dict:
        theirs = rates([f for f in files if keep(hazards[f["report"]])])
        mine = rates([f for f in ours if f["format"] == "pdf" and keep(f["hazards"])])
        theirs["ours"] = mine
        theirs["speedup_ours_vs_baseline"] = (
            round(theirs["seconds"] / mine["seconds"], 2) if mine["seconds"] else None
        )
        theirs["cpu_speedup_ours_vs_baseline"] = (
            round(theirs["cpu_seconds"] / mine["cpu_seconds"], 2) if mine["cpu_seconds"] else None
        )
        return theirs

    out = compare(lambda h: True)
    out["by_font"] = {name: compare(keep) for name, keep in PDF_FONTS.items()}
    out["max_rss_mib"] = round(run["max_rss_mib"], 1)
    out["load_before_after"] = run["load_before_after"]
    return out


def score(warehouse: Path, work: Path) -> str:
    if SCORE is None or not SCORE.exists():
        return "not scored (set DISCLOSURE_SCORE_GOLD to a warehouse scorer)"
    done = subprocess.run(
        [
            PYTHON,
            str(SCORE),
            "--warehouse",
            str(warehouse),
            "--values",
            str(work / "gold_values.csv"),
            "--reports",
            str(work / "gold_reports.csv"),
            "--show",
            "20",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    (work / "score.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    return (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]


def measure_build(work: Path, corpus: Path, extra: dict) -> dict:
    """Full build, no-op rebuild, rebuild after adding one report."""
    wh = work / "warehouse"
    shutil.rmtree(wh, ignore_errors=True)
    cmd = [CLI, "build", "--raw", str(work / "raw"), "--warehouse", str(wh / "disclosure.duckdb")]
    out: dict = {}
    for step in ("full", "noop", "add_one"):
        if step == "add_one":
            target = work / "raw" / extra["source_path"]
            os.link(corpus / "raw" / extra["source_path"], target)
        run = timed(cmd, work / f"build_{step}.log")
        log = Path(run["log"]).read_text(encoding="utf-8", errors="replace")
        failed_first = None
        if run["exit"] and step != "add_one":
            # Other engineers edit dbt_project/ while this runs; a manifest that changed
            # under the run fails it (seen once). Retry once and keep the first failure.
            failed_first = log.strip().splitlines()[-6:]
            run = timed(cmd, work / f"build_{step}_retry.log")
            log = Path(run["log"]).read_text(encoding="utf-8", errors="replace")
        m = re.search(r"parsed now / reused from cache\D*(\d+) / (\d+)", log)
        out[step] = {
            "seconds": round(run["seconds"], 1),
            "cpu_seconds": round(run["cpu_seconds"], 1),
            "load_before_after": run["load_before_after"],
            "max_rss_mib": round(run["max_rss_mib"], 1),
            "exit": run["exit"],
            "parsed_now": int(m.group(1)) if m else None,
            "reused": int(m.group(2)) if m else None,
        }
        if failed_first:
            out[step]["first_attempt_failed"] = failed_first
        if run["exit"]:
            out[step]["log_tail"] = log.strip().splitlines()[-15:]
            break
        if step == "full":
            out["score_gold"] = score(wh / "disclosure.duckdb", work)
    return out


def run_size(corpus: Path, workdir: Path, n: int, build: bool) -> dict:
    work = workdir / f"size_{n}"
    keep, extra = subset(corpus, work, n)
    print(f"\n== {n} reports", flush=True)
    res: dict = {"reports": n, "pages": sum(int(r["pages"]) for r in keep)}
    res["parse"] = measure_parse(work)
    p = res["parse"]
    print(
        f"  parse: {p['all']['seconds']:.1f}s, cells {p['cells_right']}/{p['cells_total']}, "
        f"peak RSS {p['max_rss_mib']} MiB",
        flush=True,
    )
    res["baseline"] = measure_baseline(
        work, json.loads((work / "parse.json").read_text(encoding="utf-8"))["files"]
    )
    print(
        f"  baseline: {res['baseline']['seconds']:.1f}s ({res['baseline']['speedup_ours_vs_baseline']}x)",
        flush=True,
    )
    if build:
        res["build"] = measure_build(work, corpus, extra)
        print(
            "  build: "
            + ", ".join(
                f"{k} {v['seconds']}s" for k, v in res["build"].items() if isinstance(v, dict)
            ),
            flush=True,
        )
    return res


# ------------------------------------------------------------------ report


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in cells[1:]]
    )


def render(results: dict) -> str:
    out = []
    for s in results["sizes"]:
        p, b = s["parse"], s["baseline"]
        out.append(f"\n### {s['reports']} reports, {s['pages']} pages\n")
        cols = (
            "files",
            "pages",
            "seconds",
            "reports_per_s",
            "pages_per_s",
            "ms_per_page",
            "cpu_seconds",
            "cpu_ms_per_page",
        )
        rows = [[fmt] + [f[c] for c in cols] for fmt, f in p["by_format"].items() if f["files"]]
        rows.append(["all"] + [p["all"][c] for c in cols])
        rows.append(["pdf, naive pdfplumber"] + [b[c] for c in cols])
        for font, g in b["by_font"].items():
            rows.append([f"pdf, {font}"] + [g["ours"][c] for c in cols])
            rows.append([f"pdf, {font}, naive"] + [g[c] for c in cols])
        out.append(
            table(
                [
                    "format",
                    "reports",
                    "pages",
                    "wall s",
                    "reports/s",
                    "pages/s",
                    "ms/page",
                    "CPU s",
                    "CPU ms/page",
                ],
                rows,
            )
        )
        out.append(
            f"\nPDF: ours is {b['speedup_ours_vs_baseline']}x the naive pdfplumber pass in wall time, "
            f"{b['cpu_speedup_ours_vs_baseline']}x in CPU time (target >= 4x); "
            + "; ".join(
                f"{k}: {g['speedup_ours_vs_baseline']}x wall, {g['cpu_speedup_ours_vs_baseline']}x CPU"
                for k, g in b["by_font"].items()
            )
            + ". Load average (1 min) "
            f"before/after: parse {p['load_before_after']}, baseline {b['load_before_after']}."
        )
        out.append(
            f"Cells right: {p['cells_right']}/{p['cells_total']} ({100 * (p['accuracy'] or 0):.2f}%); "
            f"identity fields right: {p['identity_right']}/{p['identity_total']}; files that failed: "
            f"{len(p['errors'])}; unexpected catalogued cells: {len(p['unexpected_cells'])}."
        )
        out.append(f"Peak RSS: parse loop {p['max_rss_mib']} MiB, baseline {b['max_rss_mib']} MiB.")
        for name in ("accuracy_by_format", "accuracy_by_hazard"):
            rows = [
                [k, v["reports"], v["reports_all_right"], f"{v['cells_right']}/{v['cells']}"]
                for k, v in p[name].items()
            ]
            out.append(
                "\n"
                + table([name.split("_")[-1], "reports", "all cells right", "cells right"], rows)
            )
        if p["mismatches"]:
            out.append(f"\nFirst mismatches (of {len(p['mismatches'])}; all in the JSON):")
            out += [
                f"  {m['report']} {m['format']} {m['code']}[{m['applicant_type']}]: expected {m['expected']!r}, "
                f"got {m['got'] if m['got'] == 'missing' else [g[1] for g in m['got']]}"
                for m in p["mismatches"][:12]
            ]
        if "build" in s:
            bl = s["build"]
            rows = [
                [
                    k,
                    v["seconds"],
                    v.get("cpu_seconds"),
                    v["max_rss_mib"],
                    v["parsed_now"],
                    v["reused"],
                    v["exit"],
                    v.get("load_before_after"),
                ]
                for k, v in bl.items()
                if isinstance(v, dict)
            ]
            out.append(
                "\n"
                + table(
                    [
                        "build",
                        "wall s",
                        "CPU s",
                        "peak RSS MiB",
                        "parsed",
                        "reused",
                        "exit",
                        "load before/after",
                    ],
                    rows,
                )
            )
            out.append(f"score_gold after the full build: {bl.get('score_gold')}")
    out.append("\n### Cost per report and per page (wall / CPU)\n")
    rows = []
    for s in results["sizes"]:
        p, b, bl = s["parse"]["all"], s["baseline"], s.get("build", {})
        n, pages = s["reports"], s["pages"]
        full = bl.get("full", {})

        def per(x, k):
            return round(1000 * x / k, 1) if x else ""

        rows.append(
            [
                n,
                pages,
                f"{per(p['seconds'], n)} / {per(p['cpu_seconds'], n)}",
                f"{per(p['seconds'], pages)} / {per(p['cpu_seconds'], pages)}",
                f"{per(b['seconds'], b['pages'])} / {per(b['cpu_seconds'], b['pages'])}",
                f"{per(full.get('seconds'), n)} / {per(full.get('cpu_seconds'), n)}"
                if full.get("exit") == 0
                else "",
                f"{bl['noop']['seconds']} / {bl['noop'].get('cpu_seconds')}"
                if "noop" in bl
                else "",
                f"{bl['add_one']['seconds']} / {bl['add_one'].get('cpu_seconds')}"
                if "add_one" in bl
                else "",
                s["parse"]["max_rss_mib"],
                full.get("max_rss_mib", ""),
            ]
        )
    out.append(
        table(
            [
                "reports",
                "pages",
                "parse ms/report",
                "parse ms/page",
                "naive PDF ms/page",
                "build ms/report",
                "no-op s",
                "add-one s",
                "parse RSS MiB",
                "build RSS MiB",
            ],
            rows,
        )
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--sizes", default="100,300,1000")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/disclosure-bench"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2, help="corpus generation processes")
    ap.add_argument("--no-build", action="store_true", help="skip the warehouse builds")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    a = ap.parse_args(argv)
    sizes = sorted(int(s) for s in a.sizes.split(","))
    workdir = a.workdir.resolve()
    corpus = workdir / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)

    def cpu() -> float:  # this process and its reaped children (the pool's workers)
        return sum(
            u.ru_utime + u.ru_stime
            for u in (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
        )

    t0, c0, load = time.perf_counter(), cpu(), os.getloadavg()[0]
    generate(corpus, sizes[-1] + 1, a.seed, a.workers)
    gen = {
        "reports": sizes[-1] + 1,
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(cpu() - c0, 1),
        "workers": a.workers,
        "load_before_after": [round(load, 2), round(os.getloadavg()[0], 2)],
    }
    print(
        f"corpus: {gen['reports']} reports in {gen['seconds']}s wall, {gen['cpu_seconds']}s CPU "
        f"({a.workers} workers) -> {corpus}",
        flush=True,
    )
    results = {
        "machine": machine(),
        "code": code_state(),
        "command": "python -m bench.run " + " ".join(argv or sys.argv[1:]),
        "seed": a.seed,
        "generation": gen,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "sizes": [],
    }
    for n in sizes:
        results["sizes"].append(run_size(corpus, workdir, n, not a.no_build))
        a.out.write_text(
            json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    results["code_at_end"] = code_state()
    results["code_changed_during_run"] = results["code_at_end"] != results["code"]
    a.out.write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )
    print(render(results))
    if results["code_changed_during_run"]:
        print(
            "\nWARNING: the project's code changed during this run (see code / code_at_end in the JSON)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
