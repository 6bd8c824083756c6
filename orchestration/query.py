"""The published warehouse as analysts reach it: read-only and sandboxed.

`disclosure query` runs whatever SQL it is given, so the connection itself must
keep that SQL inside the warehouse: no other file (the extraction cache and the
build database the next build publishes from, the raw folder, the rest of the
disk), no extensions, and no setting that could give any of that back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import settings

# The warehouse file is opened by connect() itself, before these apply.
SANDBOX = {
    "enable_external_access": False,  # no COPY, ATTACH, read_*/glob of other files, INSTALL/LOAD
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    # No spilling: a temp directory would be a folder the SQL may write files into.
    "temp_directory": "",
    "lock_configuration": True,  # SET/RESET/PRAGMA cannot undo any of the above
}

# ATTACH ':memory:' (READ_ONLY false) needs no file, so the sandbox alone lets it
# through; only statements that read are run at all. Setting the session's
# search path stays possible, global settings are locked.
READING = {
    duckdb.StatementType.SELECT,  # also DESCRIBE, SHOW, SUMMARIZE, VALUES, FROM ...
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
    duckdb.StatementType.CALL,
    duckdb.StatementType.SET,
    duckdb.StatementType.VARIABLE_SET,
    # PIVOT without an IN list: the enum of its columns, then the select. What
    # else it can wrap (COPY (PIVOT ...) TO) is stopped by SANDBOX.
    duckdb.StatementType.MULTI,
}

FORMATS = ("parquet", "csv")


class NotReading(Exception):
    """SQL given to the analysts' connection that does something other than read."""


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, with nothing outside it reachable."""
    return settings.connect(warehouse, read_only=True, config=SANDBOX)


def run(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """Execute `sql` (one or more statements) if every statement only reads;
    the cursor holds the last statement's result."""
    for statement in con.extract_statements(sql):
        if statement.type not in READING:
            text = " ".join(statement.query.split()).rstrip(";")
            raise NotReading(
                "the warehouse is open read-only, for statements that read; this one is "
                f"{statement.type.name.replace('_', ' ')}: {text[:80]}"
            )
    return con.execute(sql)


@dataclass(frozen=True)
class Exported:
    table: str
    rows: int
    path: Path


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export_marts(warehouse: Path, out_dir: Path, fmt: str = "parquet") -> list[Exported]:
    """One file per mart (`<out_dir>/<table>.<fmt>`); each file appears whole or not at all.

    The sandboxed connection cannot write files, so the rows come out through
    Python and polars writes them: no path ever becomes part of the SQL.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    with connect(warehouse) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'marts' and table_catalog = current_database() order by 1"
            ).fetchall()
        ]
        for table in tables:
            if Path(table).name != table or table in (".", ".."):  # a name, never a path
                raise ValueError(f"mart {table!r} cannot be a file name")
            frame = con.sql(f"select * from marts.{quote_identifier(table)}").pl()
            path = out_dir / f"{table}.{fmt}"
            _write(frame, path, fmt)
            done.append(Exported(table, frame.height, path))
        dictionary = con.sql(DICTIONARY_SQL).pl()
    path = out_dir / DICTIONARY_FILE
    _write(dictionary, path, "csv")
    done.append(Exported(path.stem, dictionary.height, path))
    return done


# Beside the marts: what every column holds (the dbt descriptions, persisted
# in the warehouse as DuckDB comments), in CSV so any tool reads it.
DICTIONARY_FILE = "data_dictionary.csv"
DICTIONARY_SQL = """
select c.table_name as "table", t.comment as table_description, c.column_index as position,
       c.column_name as "column", c.data_type as type, c.is_nullable as nullable,
       c.comment as description
from duckdb_columns() c
join duckdb_tables() t using (database_name, schema_name, table_name)
where c.schema_name = 'marts' and c.database_name = current_database()
order by c.table_name, c.column_index
"""


def _write(frame, path: Path, fmt: str) -> None:
    """The frame as `path`, whole or not at all."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if fmt == "parquet":
            frame.write_parquet(tmp, compression="zstd")
        else:
            frame.write_csv(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
