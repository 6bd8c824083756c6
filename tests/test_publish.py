"""Publishing copies the build database over the warehouse atomically."""

import subprocess
import sys

import duckdb
import pytest

from orchestration.publish import publish_database

pytestmark = pytest.mark.unit


def make_db(path, version: int, with_view: bool = True):
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.t as select ? as version", [version])
        if with_view:
            con.execute("create schema if not exists staging")
            con.execute("create or replace view staging.v as select * from marts.t")


def version(con):
    return con.execute("select version from marts.t").fetchone()[0]


def version_in_subprocess(path) -> int:
    code = (
        "import duckdb, sys; "
        "print(duckdb.connect(sys.argv[1], read_only=True).execute('select version from marts.t').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def test_publish_replaces_the_warehouse(tmp_path):
    build, target = tmp_path / "build" / "disclosure.duckdb", tmp_path / "disclosure.duckdb"
    make_db(build, 1)
    assert publish_database(build, target, ("marts.t",)) == {"marts.t": 1}
    with duckdb.connect(str(target), read_only=True) as con:
        assert version(con) == 1
        assert con.execute("select version from staging.v").fetchone()[0] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "build",
        "disclosure.duckdb",
    ]  # no temp left


def test_open_readers_keep_the_old_file_new_readers_get_the_new(tmp_path):
    build, target = tmp_path / "build" / "disclosure.duckdb", tmp_path / "disclosure.duckdb"
    make_db(build, 1)
    publish_database(build, target)
    reader = duckdb.connect(str(target), read_only=True)
    try:
        assert version(reader) == 1
        make_db(build, 2)
        publish_database(build, target)
        # The open connection still reads the file it opened (the old inode) ...
        assert version(reader) == 1
        # ... and so does a new connection in this process while that one is open:
        # DuckDB shares one database instance per path within a process.
        with duckdb.connect(str(target), read_only=True) as same_process:
            assert version(same_process) == 1
        # Another process opens the new warehouse.
        assert version_in_subprocess(target) == 2
    finally:
        reader.close()
    # Once every connection of this process is closed, the next one reads the new file.
    with duckdb.connect(str(target), read_only=True) as fresh:
        assert version(fresh) == 2


def test_a_failed_check_leaves_the_old_warehouse(tmp_path):
    build, target = tmp_path / "build" / "disclosure.duckdb", tmp_path / "disclosure.duckdb"
    make_db(build, 1)
    publish_database(build, target)
    make_db(build, 2)
    with pytest.raises(duckdb.Error):
        publish_database(build, target, ("marts.missing",))
    with duckdb.connect(str(target), read_only=True) as con:
        assert version(con) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "disclosure.duckdb"]


def test_build_and_warehouse_must_share_a_name(tmp_path):
    build = tmp_path / "build" / "other.duckdb"
    make_db(build, 1)
    with pytest.raises(ValueError, match="share"):
        publish_database(build, tmp_path / "disclosure.duckdb")
