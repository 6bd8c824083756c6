"""`disclosure query` and `disclosure export` reach the published warehouse and nothing else.

Every attack runs against a copy of the session's built warehouse folder (the
published file, the build database and the extraction cache) and raw folder,
so one that got through could not damage the warehouse other tests read.
"""

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import Settings
from tests.test_analyst_queries import analyst_queries

SECRET = "s3cr3t-marker"


@pytest.fixture(scope="module")
def site(built_warehouse_dirs, settings_env, tmp_path_factory):
    """Settings of a copy of the built warehouse, plus files no query may read."""
    raw, warehouse = built_warehouse_dirs
    root = tmp_path_factory.mktemp("sandbox")
    shutil.copytree(raw, root / "raw")
    shutil.copytree(warehouse.parent, root / "warehouse")
    with settings_env(root / "raw", root / "warehouse" / warehouse.name):
        settings = Settings.from_env()
    assert settings.cache_db.is_file() and settings.build_db.is_file()
    (root / "secret.txt").write_text(SECRET)
    with duckdb.connect() as con:
        con.execute(f"create table secret as select '{SECRET}' as s")
        for fmt in ("csv", "json", "parquet"):
            con.execute(f"copy secret to '{root}/secret.{fmt}' (format {fmt})")
        con.execute(f"export database '{root}/dump'")
    return settings


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def query(settings: Settings, sql: str):
    return CliRunner().invoke(main, ["query", sql, "--warehouse", str(settings.warehouse_path)])


REFUSED = "open read-only, for statements that read"
NO_FILES = "file system operations are disabled by configuration"
LOCKED = "the configuration has been locked"

# (sql, what the error says, text that must not appear in the output)
ATTACKS = {
    "attach the cache read-write and rewrite it": (
        "ATTACH '{cache}' AS c (READ_ONLY false); UPDATE c.cells SET value = 999999",
        REFUSED,
        None,
    ),
    "attach the build database and rewrite it": (
        "ATTACH '{build}' AS b (READ_ONLY false); UPDATE b.landing.cells SET value = 999999",
        REFUSED,
        None,
    ),
    "attach a writable in-memory database": (
        "ATTACH ':memory:' AS m (READ_ONLY false)",
        REFUSED,
        None,
    ),
    "detach the warehouse": ("DETACH disclosure", REFUSED, None),
    "plant a report in raw/": ("COPY (select 1) TO '{raw}/copy.txt'", REFUSED, None),
    "plant a report after a harmless select": (
        "select 1; COPY (select 1) TO '{raw}/after_select.txt'",
        REFUSED,
        None,
    ),
    "plant a report through explain analyze": (
        "EXPLAIN ANALYZE COPY (select 1) TO '{raw}/explain.txt'",
        NO_FILES,
        None,
    ),
    "plant a report through a pivot": (
        "COPY (PIVOT marts.dim_report ON report_year USING count(*)) TO '{raw}/pivot.txt'",
        NO_FILES,
        None,
    ),
    "copy a file into a table": ("COPY marts.dim_report FROM '{root}/secret.csv'", REFUSED, None),
    "read_text /etc/passwd": ("select * from read_text('/etc/passwd')", NO_FILES, "nologin"),
    "read_csv /etc/shadow": ("select * from read_csv('/etc/shadow')", NO_FILES, "root:"),
    "glob /root": ("select * from glob('/root/**')", NO_FILES, None),
    "glob the site": ("select * from glob('{root}/**')", NO_FILES, "secret.txt"),
    "read_text": ("select * from read_text('{root}/secret.txt')", NO_FILES, SECRET),
    "read_blob": ("select * from read_blob('{root}/secret.txt')", NO_FILES, SECRET),
    "read_csv": ("select * from read_csv('{root}/secret.csv')", NO_FILES, SECRET),
    "read_csv_auto": ("select * from read_csv_auto('{root}/secret.csv')", NO_FILES, SECRET),
    "read_json": ("select * from read_json('{root}/secret.json')", NO_FILES, SECRET),
    "read_parquet": ("select * from read_parquet('{root}/secret.parquet')", NO_FILES, SECRET),
    "a file named as a table": ("select * from '{root}/secret.csv'", NO_FILES, SECRET),
    "call glob": ("CALL glob('{root}/*')", NO_FILES, "secret.txt"),
    "call read_text": ("CALL read_text('{root}/secret.txt')", NO_FILES, SECRET),
    "install httpfs": ("INSTALL httpfs", REFUSED, None),
    "load httpfs": ("LOAD httpfs", REFUSED, None),
    "load an extension file": ("LOAD '{root}/x.duckdb_extension'", REFUSED, None),
    "set enable_external_access": ("SET enable_external_access = true", LOCKED, None),
    "reset enable_external_access": ("RESET enable_external_access", LOCKED, None),
    "unlock the configuration": ("SET lock_configuration = false", LOCKED, None),
    "allow every directory": ("SET allowed_directories = ['/']", LOCKED, None),
    "pragma profiling output into raw/": (
        "PRAGMA enable_profiling; PRAGMA profiling_output = '{raw}/profile.txt'",
        LOCKED,
        None,
    ),
    "export database": ("EXPORT DATABASE '{root}/exported'", REFUSED, None),
    "import database": ("IMPORT DATABASE '{root}/dump'", NO_FILES, None),
}


@pytest.mark.e2e
@pytest.mark.parametrize("sql, says, leak", list(ATTACKS.values()), ids=list(ATTACKS))
def test_an_attack_fails_clearly_and_changes_nothing(site, sql, says, leak):
    root = site.raw_dir.parent
    sql = sql.format(root=root, raw=site.raw_dir, cache=site.cache_db, build=site.build_db)
    before = snapshot(root)
    result = query(site, sql)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert result.output.startswith("Error: ") and says in result.output, result.output
    if leak:
        assert leak not in result.output
    assert snapshot(root) == before


@pytest.mark.e2e
@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH '{cache}' AS c (READ_ONLY false)",
        "COPY (select 1) TO '{raw}/x.txt'",
        "EXPORT DATABASE '{raw}/exported'",
    ],
)
def test_the_connection_itself_reaches_no_other_file(site, sql):
    """Beneath the statement check, the connection's own settings stop these."""
    from orchestration.query import connect

    before = snapshot(site.raw_dir.parent)
    with connect(site.warehouse_path) as con, pytest.raises(duckdb.PermissionException):
        con.execute(sql.format(raw=site.raw_dir, cache=site.cache_db))
    assert snapshot(site.raw_dir.parent) == before


ANALYST_QUERIES = [
    "select * from marts.fct_indicator_value limit 1",
    "select count(*) as n from information_schema.tables where table_schema = 'marts'",
    "select count(*) as n from duckdb_tables()",
    "select count(*) as n from staging.stg_landing__reports",
    "describe marts.dim_report",
    "show tables",
    "summarize marts.dim_region",
    "pragma table_info('marts.dim_report')",
    "explain select * from marts.dim_report",
    "set search_path = 'marts'; select count(*) as n from dim_report",
    *analyst_queries(),
]


@pytest.mark.e2e
@pytest.mark.parametrize("sql", ANALYST_QUERIES)
def test_analyst_queries_still_run(site, sql):
    result = query(site, sql)
    assert result.exit_code == 0, result.output
    assert "┃" in result.output  # a result table


@pytest.mark.e2e
def test_a_query_prints_what_the_warehouse_holds(site):
    with duckdb.connect(str(site.warehouse_path), read_only=True) as con:
        n = con.execute("select count(*) from marts.fct_indicator_value").fetchone()[0]
    result = query(site, "select count(*) as n from marts.fct_indicator_value")
    assert result.exit_code == 0 and f"│ {n} " in result.output


def marts(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]


def same_rows(warehouse: Path, table: str, path: Path) -> bool:
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as w (read_only)")
        file, mart = f"read_parquet('{path}')", f"w.marts.{table}"
        diff = con.execute(
            f"select count(*) from ((from {file} except all from {mart})"
            f" union all (from {mart} except all from {file}))"
        ).fetchone()[0]
        # Names and types: the marts' NOT NULL constraints are not kept in Parquet.
        types = [
            f"select column_name, column_type from (describe from {rel})" for rel in (file, mart)
        ]
        same_types = len({str(con.execute(sql).fetchall()) for sql in types}) == 1
    return diff == 0 and same_types


def copy_csv(warehouse: Path, table: str, path: Path) -> bytes:
    """The file DuckDB's own COPY writes: CSV cannot tell '' from NULL, so the
    export is compared with it byte for byte rather than read back."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"copy marts.{table} to '{path}' (format csv, header true)")
    return path.read_bytes()


def export(site: Settings, out: Path, fmt: str):
    return CliRunner().invoke(
        main, ["export", str(out), "--format", fmt, "--warehouse", str(site.warehouse_path)]
    )


@pytest.mark.e2e
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_writes_every_mart_whole(site, tmp_path, fmt):
    result = export(site, tmp_path / "out", fmt)
    assert result.exit_code == 0, result.output
    tables = marts(site.warehouse_path)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f"{t}.{fmt}" for t in tables] + ["data_dictionary.csv"]
    )
    for table in tables:
        path = tmp_path / "out" / f"{table}.{fmt}"
        if fmt == "parquet":
            assert same_rows(site.warehouse_path, table, path), table
        else:
            assert path.read_bytes() == copy_csv(site.warehouse_path, table, tmp_path / "c.csv")


@pytest.mark.e2e
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_to_a_path_with_sql_in_it_writes_only_that_path(site, tmp_path, fmt):
    # Formatted into a COPY statement, this path would close the quote, write
    # pwned.csv and drop a mart.
    out = tmp_path / (
        f"o' (format csv); copy (select 42) to '{tmp_path}/pwned.csv' (format csv);"
        " drop table marts.dim_report; --"
    )
    before = snapshot(site.raw_dir.parent)
    result = export(site, out, fmt)
    assert result.exit_code == 0, result.output
    tables = marts(site.warehouse_path)
    assert "dim_report" in tables
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted([out / f"{t}.{fmt}" for t in tables] + [out / "data_dictionary.csv"])
    assert snapshot(site.raw_dir.parent) == before


@pytest.mark.unit
def test_export_quotes_a_mart_name(tmp_path):
    wh = tmp_path / "odd.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute('create schema marts; create table marts."a ""b""; c" as select 1 as x')
    result = CliRunner().invoke(
        main, ["export", str(tmp_path / "out"), "--format", "csv", "--warehouse", str(wh)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / 'a "b"; c.csv').read_text().split() == ["x", "1"]


@pytest.mark.unit
def test_export_refuses_a_mart_named_like_a_path(tmp_path):
    wh = tmp_path / "odd.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute('create schema marts; create table marts."../escaped" as select 1 as x')
    result = CliRunner().invoke(main, ["export", str(tmp_path / "out"), "--warehouse", str(wh)])
    assert result.exit_code == 1 and "cannot be a file name" in result.output
    assert not (tmp_path / "escaped.parquet").exists()
    assert "Traceback" not in result.output
