"""The whole build over a few hundred broken files next to good ones
(tests/fixtures/fuzz.py), run as `disclosure build` in a subprocess, once.

The build exits 0, within a time limit and under 2 GiB of memory, and no file
needs the per-file parse timeout. Every good file, and every file holding a
good file's text in another encoding, loads with its seed's gold values. Every
other file loads or is listed in marts.ingest_error with a reason; no file is
left out silently. Whatever the copies around it, the report the marts keep
for each seed has the seed's gold values, and no loaded value is NaN or
infinite.

A file that loads but is left out of the marts (a duplicate, a conflict) has
its values read from the staging views the marts are built from
(int_indicator_values__ranked, occurrence 1: the value fct_indicator_value keeps).

By default the first 2 files of each kind are built (a few minutes); FUZZ_PER_KIND=N
builds N of each, FUZZ_PER_KIND=0 the whole corpus (about 250 files).
Each run leaves outcomes.json (every file with what became of it) and build.log
next to its raw folder; failure messages name the folder.
"""

from __future__ import annotations

import csv
import json
import math
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("reportlab")
from tests.fixtures.fuzz import KINDS, LOSSLESS, FuzzFile, write_fuzz_corpus

pytestmark = [pytest.mark.fuzz, pytest.mark.e2e]

GOLD = Path(__file__).parent / "gold"
GIB = 1 << 30
MEMORY_LIMIT = 2 * GIB  # the build and all its processes together
WALL_LIMIT = 10 * 60  # seconds the build may take
HARD_TIMEOUT = 15 * 60  # the build is killed after this
# A report parses in about a second; a file still parsing after this is stopped and
# listed, so that a few pathological files cannot take the build past HARD_TIMEOUT.
FILE_TIMEOUT = 60
# The machine is shared: above this the largest process of the build is killed,
# as the kernel's OOM killer would, and the memory test fails.
KILL_AT = 6 * GIB
PER_KIND = int(os.environ.get("FUZZ_PER_KIND", "2")) or None
PAGE = os.sysconf("SC_PAGE_SIZE")


# ------------------------------------------------------------------ running the build


def _tree_rss(root: int) -> dict[int, int]:
    """Resident bytes of `root` and of each of its descendants."""
    children = defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # exited meanwhile
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])  # after the command name
            children[ppid].append(int(entry.name))
    rss, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            rss[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
        todo += children.get(pid, [])
    return rss


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"


class MemoryWatch(threading.Thread):
    """Samples the summed resident memory of a process tree; kills its largest
    process when the sum passes KILL_AT."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.killed: list[str] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            rss = _tree_rss(self.pid)
            total = sum(rss.values())
            self.peak = max(self.peak, total)
            if total > KILL_AT:
                pid = max(rss, key=rss.get)
                cmd = _cmdline(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.killed.append(
                    f"pid {pid} at {rss[pid] / GIB:.1f} GiB (tree {total / GIB:.1f} GiB): {cmd}"
                )

    def stop(self) -> None:
        self._done.set()
        self.join()


@dataclass
class Outcome:
    # kept: in marts.dim_report; left_out: loaded, but not kept (a duplicate, a conflict);
    # failed: not loaded; absent: in neither dim_report nor ingest_error
    status: str
    stage: str | None = None  # its marts.ingest_error row, if any
    reason: str | None = None

    @property
    def loaded(self) -> bool:
        return self.status in ("kept", "left_out")

    def __str__(self) -> str:
        if self.stage is None:
            return {
                "kept": "kept",
                "left_out": "loaded, but neither in marts.dim_report nor in marts.ingest_error",
                "absent": "neither in marts.dim_report nor in marts.ingest_error",
            }[self.status]
        head = {"kept": "in marts.dim_report and", "left_out": "loaded,"}.get(self.status, "")
        return f"{head} listed at {self.stage}: {self.reason!r}".strip()


@dataclass
class Build:
    root: Path
    files: list[FuzzFile]
    returncode: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    tree_peak: int = 0  # summed resident bytes of the build's processes, sampled
    max_process: int | None = None  # peak of its largest process (getrusage); None: unknown
    killed: list[str] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    values: dict[str, dict[tuple[str, str], float | None]] = field(default_factory=dict)
    kept: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (org, year) -> paths
    nonfinite: list[tuple] = field(default_factory=list)
    warehouse_error: str | None = None

    @property
    def log(self) -> Path:
        return self.root / "build.log"

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def of_kind(self, kind: str) -> list[FuzzFile]:
        return [f for f in self.files if f.kind == kind]

    def require_warehouse(self) -> None:
        if self.warehouse_error:
            pytest.fail(f"{self.warehouse_error} (test_the_build_exits_0 shows its log)")


def _run_build(raw: Path, warehouse: Path, build: Build) -> None:
    # Cache and build database default to the warehouse's folder; an ephemeral Dagster instance.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DISCLOSURE_") and k != "DAGSTER_HOME"
    }
    env["DISCLOSURE_FILE_TIMEOUT"] = str(FILE_TIMEOUT)
    cli = Path(sys.executable).with_name("disclosure")
    command = [str(cli), "build", "--raw", str(raw), "--warehouse", str(warehouse), "--progress"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    with open(build.log, "wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=build.root,
            start_new_session=True,  # its own process group, to kill it whole on timeout
        )
        watch = MemoryWatch(process.pid)
        watch.start()
        try:
            build.returncode = process.wait(timeout=HARD_TIMEOUT)
        except subprocess.TimeoutExpired:
            build.timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            build.returncode = process.wait()
        finally:
            watch.stop()
    build.seconds = time.monotonic() - started
    build.tree_peak, build.killed = watch.peak, watch.killed
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, largest process
    build.max_process = after * 1024 if after > before else None


# ------------------------------------------------------------------ reading the warehouse

# Table values per loaded file: the marts' for kept reports, the staging ranking's for the rest.
VALUES_SQL = """
select r.source_path, f.indicator_code, f.applicant_type, f.value
from marts.fct_indicator_value f join marts.dim_report r using (report_id)
where f.value_source = 'table'
union all
select r.source_path, v.indicator_code, v.applicant_type, v.value
from staging.int_indicator_values__ranked v join staging.stg_landing__reports r using (report_id)
where v.value_source = 'table' and v.occurrence = 1
  and r.report_id not in (select report_id from marts.dim_report)
"""
NONFINITE_SQL = """
select r.source_path, v.indicator_code, v.applicant_type, v.value, v.source_text
from staging.int_indicator_values__ranked v join staging.stg_landing__reports r using (report_id)
where not isfinite(v.value)
order by 1, 2, 3
"""


def _read_warehouse(warehouse: Path, build: Build) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reports = con.execute(
            "select source_path, organization, report_year from marts.dim_report"
        ).fetchall()
        loaded = {
            p
            for (p,) in con.execute(
                "select source_path from staging.stg_landing__reports"
            ).fetchall()
        }
        errors = con.execute("select source_path, stage, reason from marts.ingest_error").fetchall()
        for path, code, applicant, value in con.execute(VALUES_SQL).fetchall():
            build.values.setdefault(path, {})[(code, applicant)] = value
        build.nonfinite = con.execute(NONFINITE_SQL).fetchall()
    for path, organization, year in reports:
        build.kept.setdefault((organization, year), []).append(path)
    kept = {path for path, _, _ in reports}
    listed = {path: (stage, reason) for path, stage, reason in errors}
    for f in build.files:
        stage, reason = listed.get(f.path, (None, None))
        if f.path in kept:
            status = "kept"
        elif f.path in loaded:
            status = "left_out"
        else:
            status = "failed" if f.path in listed else "absent"
        build.outcomes[f.path] = Outcome(status, stage, reason)


def _write_outcomes(build: Build) -> None:
    summary = {
        "returncode": build.returncode,
        "timed_out": build.timed_out,
        "seconds": round(build.seconds, 1),
        "tree_peak_bytes": build.tree_peak,
        "max_process_bytes": build.max_process,
        "killed": build.killed,
        "warehouse_error": build.warehouse_error,
        "files": [
            {**asdict(f), "outcome": asdict(build.outcomes[f.path])}
            if f.path in build.outcomes
            else asdict(f)
            for f in build.files
        ],
    }
    text = json.dumps(summary, ensure_ascii=False, indent=1)
    (build.root / "outcomes.json").write_text(text + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("fuzz")
    files = write_fuzz_corpus(root, PER_KIND)
    build = Build(root, files)
    warehouse = root / "warehouse" / "w.duckdb"
    _run_build(root / "raw", warehouse, build)
    if build.returncode != 0 or not warehouse.exists():
        build.warehouse_error = f"no warehouse to check: the build exited {build.returncode}" + (
            f" when killed after {HARD_TIMEOUT} s" if build.timed_out else ""
        )
    else:
        _read_warehouse(warehouse, build)
    _write_outcomes(build)
    return build


@pytest.fixture(scope="module")
def gold_reports() -> dict[str, dict[str, str]]:
    with open(GOLD / "seed_reports.csv", encoding="utf-8") as f:
        return {g["report"]: g for g in csv.DictReader(f)}


@pytest.fixture(scope="module")
def gold() -> dict[str, dict[tuple[str, str], float | None]]:
    out: dict[str, dict[tuple[str, str], float | None]] = {}
    with open(GOLD / "seed_values.csv", encoding="utf-8") as f:
        for g in csv.DictReader(f):
            value = None if g["value"] == "" else float(g["value"])
            out.setdefault(g["report"], {})[(g["code"], g["applicant_type"])] = value
    return out


def _listing(build: Build, problems: list[tuple[FuzzFile, str]]) -> str:
    lines = [f"{f.path} ({f.variant}): {problem}" for f, problem in problems]
    return f"{len(problems)} files (details in {build.root / 'outcomes.json'}):\n" + "\n".join(
        lines
    )


# ------------------------------------------------------------------ the build as a whole


def test_the_build_exits_0(build):
    assert not build.timed_out, f"still running after {HARD_TIMEOUT} s, killed:\n{build.tail()}"
    assert build.returncode == 0, f"exit code {build.returncode}, log {build.log}:\n{build.tail()}"


def test_the_build_finishes_in_bounded_time(build):
    assert build.seconds < WALL_LIMIT, (
        f"{build.seconds:.0f} s for {len(build.files)} files, over the {WALL_LIMIT} s limit"
    )


def test_the_build_stays_under_2_gib(build):
    largest = "unknown" if build.max_process is None else f"{build.max_process / GIB:.2f} GiB"
    measured = (
        f"all processes together peaked at {build.tree_peak / GIB:.2f} GiB (sampled), "
        f"the largest one at {largest}"
    )
    assert not build.killed, f"killed at {KILL_AT / GIB:.0f} GiB: {build.killed}; {measured}"
    assert build.tree_peak < MEMORY_LIMIT, measured
    assert build.max_process is None or build.max_process < MEMORY_LIMIT, measured


def test_no_file_runs_into_the_parse_timeout(build):
    build.require_warehouse()
    problems = [
        (f, str(o))
        for f in build.files
        if "DISCLOSURE_FILE_TIMEOUT" in ((o := build.outcomes[f.path]).reason or "")
    ]
    assert not problems, _listing(build, problems)


# ------------------------------------------------------------------ every file


def test_no_file_is_silently_absent(build):
    """Each file is in dim_report or (a failure, a duplicate) in ingest_error, not both."""
    build.require_warehouse()
    problems = []
    for f in build.files:
        o = build.outcomes[f.path]
        listed = o.stage is not None
        if o.status == "absent" or (o.status == "kept") == listed:
            problems.append((f, str(o)))
    assert not problems, _listing(build, problems)


def _gold_problem(got: dict | None, want: dict) -> str | None:
    if got is None:
        return "no catalogued table value in the warehouse"
    wrong = []
    for (code, applicant), w in want.items():
        g = got.get((code, applicant))
        ok = g is None if w is None else g is not None and math.isclose(g, w)
        if not ok:
            wrong.append(f"{code}/{applicant} {g} instead of {w}")
    if wrong:
        return f"{len(wrong)} of {len(want)} gold values wrong: " + "; ".join(wrong[:3])
    return None


@pytest.mark.parametrize("kind", sorted(LOSSLESS))
def test_files_with_a_seeds_text_load_with_its_gold_values(build, gold, kind):
    build.require_warehouse()
    problems = []
    for f in build.of_kind(kind):
        outcome = build.outcomes[f.path]
        if not outcome.loaded:
            problems.append((f, str(outcome)))
        elif problem := _gold_problem(build.values.get(f.path), gold[f.seed]):
            problems.append((f, problem))
    assert not problems, _listing(build, problems)


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in LOSSLESS])
def test_broken_files_load_or_are_listed_with_a_reason(build, kind):
    build.require_warehouse()
    problems = []
    for f in build.of_kind(kind):
        outcome = build.outcomes[f.path]
        if not outcome.loaded and not (outcome.reason or "").strip():
            problems.append((f, str(outcome)))
    assert not problems, _listing(build, problems)


def test_the_marts_keep_each_seeds_gold_values(build, gold, gold_reports):
    """Of the many files holding a seed's report, the one the marts keep (by the
    seed's organization and year) has the seed's gold values."""
    build.require_warehouse()
    problems = []
    for stem in sorted({f.seed for f in build.of_kind("good")}):
        g = gold_reports[stem]
        paths = build.kept.get((g["organization"], int(g["year"])), [])
        if len(paths) != 1:
            problems.append(
                f"{stem}: {len(paths)} reports kept for {g['organization']} {g['year']}"
            )
        elif problem := _gold_problem(build.values.get(paths[0]), gold[stem]):
            problems.append(f"{stem}: the marts keep {paths[0]}, {problem}")
    assert not problems, "\n".join(problems)


def test_no_loaded_value_is_nan_or_infinite(build):
    build.require_warehouse()
    by_path = {f.path: f for f in build.files}
    problems = [
        (by_path[path], f"{code}/{applicant} = {value} from {text!r}")
        for path, code, applicant, value, text in build.nonfinite
    ]
    assert not problems, _listing(build, problems)
