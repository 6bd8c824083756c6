"""Analysts reading the published warehouse while builds run.

A reader in another process (DuckDB shares one instance per file within a
process, so it must be another process to see what a separate analyst sees)
opens the warehouse read-only and counts the rows of every mart, over and
over, while `disclosure build` runs as a subprocess: first a build killed with
SIGKILL once it has started writing, then one that runs to the end. The
reader never gets an error (no lock conflict), and every count it sees is the
old warehouse's or the new one's (never a half-built table); the killed build
leaves the old warehouse answering with its old content, and the next build
publishes normally.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import ENV_CACHE, ENV_RAW, ENV_WAREHOUSE, PROJECT_ROOT

pytestmark = pytest.mark.e2e

DELETED = "004_81756f01c13aa782.txt"  # the new build has one report less than the old one
DISCLOSURE = str(Path(sys.executable).parent / "disclosure")
TIMEOUT = 900

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb

    warehouse, tables, stop, out = sys.argv[1], sys.argv[2].split(","), Path(sys.argv[3]), sys.argv[4]
    seen, errors, order, n = {}, [], [], 0
    while not stop.exists():
        try:
            with duckdb.connect(warehouse, read_only=True) as con:
                counts = tuple(
                    con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables
                )
        except Exception as e:  # any error is a failure of the test
            errors.append(f"{type(e).__name__}: {e}")
            continue
        n += 1
        key = json.dumps(counts)
        seen[key] = seen.get(key, 0) + 1
        if not order or order[-1] != key:
            order.append(key)
        if n % 20 == 0:
            Path(out + ".progress").write_text(json.dumps(order))
    Path(out).write_text(json.dumps({"n": n, "seen": seen, "order": order, "errors": errors}))
    """
)


def mart_counts(path: Path, tables: list[str]) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables]


def wait_for(predicate, timeout: float, what: str, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def scenario(built_warehouse_dirs, tmp_path_factory):
    session_raw, session_warehouse = built_warehouse_dirs
    root = tmp_path_factory.mktemp("readers")
    raw = root / "raw"
    shutil.copytree(session_raw, raw)
    (raw / DELETED).unlink()
    warehouse = root / "warehouse" / "disclosure.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(session_warehouse, warehouse)  # the old warehouse, as published before
    cache = root / "cache.duckdb"
    shutil.copyfile(session_warehouse.parent / "cache" / "extractions.duckdb", cache)
    build_db = warehouse.parent / "build" / "disclosure.duckdb"

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            f"marts.{r[0]}"
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        old_reports = con.execute("select * from marts.dim_report order by all").fetchall()
    old = mart_counts(warehouse, tables)

    env = {**os.environ, ENV_RAW: str(raw), ENV_WAREHOUSE: str(warehouse), ENV_CACHE: str(cache)}
    env.pop("DAGSTER_HOME", None)  # an ephemeral Dagster instance, as on a fresh machine
    stop, out = root / "stop", root / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse), ",".join(tables), str(stop), str(out)]
    )
    result = {"old": old, "tables": tables, "warehouse": warehouse}
    try:
        wait_for(lambda: Path(str(out) + ".progress").exists(), 60, "the reader", reader)

        # 1. A build killed (SIGKILL, with its dbt and worker processes) once it writes.
        killed = subprocess.Popen(
            [DISCLOSURE, "build"],
            env=env,
            cwd=PROJECT_ROOT,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(build_db.exists, TIMEOUT, "the build database", killed)
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
        result["killed_exit"] = killed.returncode
        result["after_kill"] = mart_counts(warehouse, tables)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            result["reports_after_kill"] = con.execute(
                "select * from marts.dim_report order by all"
            ).fetchall()
        result["old_reports"] = old_reports
        result["leftovers"] = sorted(p.name for p in warehouse.parent.iterdir())

        # 2. A build run to the end, with `disclosure query` during it.
        build = subprocess.Popen(
            [DISCLOSURE, "build"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        query = subprocess.run(
            [DISCLOSURE, "query", "select count(*) as n from marts.dim_report"],
            check=False,
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        result["query_during_build"] = (query.returncode, query.stdout + query.stderr)
        result["build_output"], _ = build.communicate(timeout=TIMEOUT)
        result["build_exit"] = build.returncode
        result["new"] = mart_counts(warehouse, tables)

        # Let the reader see the new warehouse a few times, then stop it.
        new_key = json.dumps(result["new"])
        progress = Path(str(out) + ".progress")
        wait_for(lambda: new_key in progress.read_text(), 120, "the reader to see the new build")
        time.sleep(1)
    finally:
        stop.touch()
        reader.wait(timeout=120)
    result["reader"] = json.loads(out.read_text())
    return result


def test_a_killed_build_leaves_the_old_warehouse(scenario):
    assert scenario["killed_exit"] == -signal.SIGKILL
    assert scenario["after_kill"] == scenario["old"]
    assert scenario["reports_after_kill"] == scenario["old_reports"]
    assert scenario["leftovers"] == ["build", "disclosure.duckdb"]  # no half-written copy


def test_the_next_build_publishes_after_a_kill(scenario):
    assert scenario["build_exit"] == 0, scenario["build_output"]
    old, new = scenario["old"], scenario["new"]
    reports = scenario["tables"].index("marts.dim_report")
    assert new[reports] == old[reports] - 1


def test_readers_never_fail_nor_see_a_partial_warehouse(scenario):
    reader = scenario["reader"]
    assert reader["errors"] == []
    assert reader["n"] > 20
    allowed = {json.dumps(scenario["old"]), json.dumps(scenario["new"])}
    assert set(reader["seen"]) <= allowed, "a reader saw counts of neither warehouse"
    # The old warehouse until the publish, the new one after: one switch, never back.
    assert reader["order"] == [json.dumps(scenario["old"]), json.dumps(scenario["new"])]


def test_disclosure_query_works_during_a_build(scenario):
    code, output = scenario["query_during_build"]
    assert code == 0, output
    assert "n" in output and "lock" not in output.lower()
