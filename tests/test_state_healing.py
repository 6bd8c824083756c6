"""State that heals itself: an extraction cache or a build database DuckDB
cannot read is renamed `<name>.corrupt-<time>`, kept, and replaced by a new
one, instead of failing every build until someone deletes it. A cache in use
by another build (two warehouses sharing it) is never taken for damaged: the
second build is told so at once, and the cache is left as it is."""

import os
import subprocess
import sys
import textwrap

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.ingest.cache import (
    CacheInUse,
    ExtractionCache,
    cache_lock,
    run_with_cache,
    set_aside_if_damaged,
)

pytestmark = pytest.mark.unit


def garbage(path, size=100_000) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = os.urandom(size)
    path.write_bytes(data)
    return data


BLOCK, FIRST_BLOCK = 262144, 3 * 4096  # DuckDB's block size and where block 0 starts


def corrupt_data_of(path, table: str) -> None:
    """Overwrite one data block of `table`, the file's headers and catalog intact."""
    with duckdb.connect(str(path)) as con:
        block = con.execute(
            f"select max(block_id) from pragma_storage_info('{table}') where block_id >= 0"
        ).fetchone()[0]
    with path.open("r+b") as f:
        f.seek(FIRST_BLOCK + block * BLOCK + 4096)
        f.write(os.urandom(4096))


def set_aside_files(path) -> list:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def test_a_garbage_cache_is_set_aside_and_replaced(tmp_path):
    cache = tmp_path / "cache" / "extractions.duckdb"
    data = garbage(cache)
    told = []
    assert run_with_cache(cache, lambda c: c.known(), lambda p, e: told.append(p)) == set()
    [moved] = set_aside_files(cache)
    assert told == [moved] and moved.read_bytes() == data  # kept as it was, for inspection
    with ExtractionCache(cache) as c:  # and a working cache in its place
        assert c.known() == set()


def test_a_cache_damaged_inside_is_set_aside_when_a_read_meets_it(tmp_path):
    cache = tmp_path / "extractions.duckdb"
    with ExtractionCache(cache) as c:
        c.con.execute(
            "insert into file_hashes select 'f' || range, range, range, range, range, "
            "md5(range::varchar) from range(300000)"
        )
        c.con.execute("checkpoint")
    corrupt_data_of(cache, "file_hashes")
    runs = []

    def read_everything(c):
        runs.append(1)
        return len(c.file_hashes())

    assert run_with_cache(cache, read_everything) == 0  # the second run, on a new cache
    assert len(runs) == 2 and len(set_aside_files(cache)) == 1


def test_a_garbage_build_database_is_set_aside(tmp_path):
    build_db = tmp_path / "build" / "disclosure.duckdb"
    garbage(build_db)
    (build_db.parent / "disclosure.duckdb.wal").write_bytes(b"log")
    moved = set_aside_if_damaged(build_db)
    assert moved is not None and not build_db.exists()
    assert moved.with_name(moved.name + ".wal").read_bytes() == b"log"  # its log goes with it
    with duckdb.connect(str(build_db)) as con:
        con.execute("create table t as select 1")
    assert set_aside_if_damaged(build_db) is None  # a sound one is left alone


def test_a_cache_another_build_uses_is_refused_not_set_aside(tmp_path):
    cache = tmp_path / "extractions.duckdb"
    with ExtractionCache(cache) as c:
        c.con.execute("create table marker as select 42 as x")
    with cache_lock(cache):  # another build of another warehouse, in this process
        with pytest.raises(CacheInUse, match="in use by another build"):
            run_with_cache(cache, lambda c: c.known())
    assert set_aside_files(cache) == []
    with duckdb.connect(str(cache)) as con:
        assert con.execute("select x from marker").fetchone() == (42,)


def test_a_cache_open_in_another_process_is_refused_not_set_aside(tmp_path):
    cache = tmp_path / "extractions.duckdb"
    ExtractionCache(cache).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, duckdb
                con = duckdb.connect(sys.argv[1])
                print("open", flush=True)
                sys.stdin.read()
                """
            ),
            str(cache),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(CacheInUse, match="open in another process"):
            run_with_cache(cache, lambda c: c.known())
    finally:
        holder.communicate("")
    assert set_aside_files(cache) == [] and cache.exists()


def test_a_second_warehouse_sharing_the_cache_is_told_at_once(tmp_path, settings_env):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("报告", encoding="utf-8")
    cache = tmp_path / "shared" / "extractions.duckdb"
    ExtractionCache(cache).close()
    with settings_env(raw, tmp_path / "second" / "disclosure.duckdb", cache=cache):
        with cache_lock(cache):  # the first warehouse's build
            result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "in use by another build" in result.output and "own cache" in result.output
    assert "Traceback" not in result.output
    assert cache.exists() and set_aside_files(cache) == []
