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


class NotOneStatement(Exception):
    """SQL holding no statement, or more than one whose result would be printed."""


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The published warehouse, read-only, with nothing outside it reachable;
    the marts first on the search path (`select * from dim_report`, `show
    tables`). The search path is the session's own: SET changes it still."""
    con = settings.connect(warehouse, read_only=True, config=SANDBOX)
    if con.execute(
        "select count(*) from duckdb_schemas()"
        " where database_name = current_database() and schema_name = 'marts'"
    ).fetchone()[0]:
        con.execute("set search_path = 'marts,main'")
    return con


# What may come before the one statement whose result is printed: settings of
# the session, which print nothing (SET, RESET, SET VARIABLE; a PRAGMA if it
# turns out to set something rather than return rows).
SETTING = {duckdb.StatementType.SET, duckdb.StatementType.VARIABLE_SET}


def run(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """Execute `sql` if every statement only reads and one of them returns the
    result: SET statements may come before it, another query may not (its
    rows would be lost). The cursor holds that result."""
    statements = con.extract_statements(sql)
    for statement in statements:
        if statement.type not in READING:
            text = " ".join(statement.query.split()).rstrip(";")
            raise NotReading(
                "the warehouse is open read-only, for statements that read; this one is "
                f"{statement.type.name.replace('_', ' ')}: {text[:80]}"
            )
    if not statements:
        raise NotOneStatement("no SQL statement given")
    *before, last = statements
    several = NotOneStatement(
        f"one statement at a time: got {len(statements)} statements "
        "(SET statements may come before a query, another query may not)"
    )
    if any(s.type not in SETTING | {duckdb.StatementType.PRAGMA} for s in before):
        raise several
    for statement in before:
        cursor = con.execute(statement)
        if statement.type == duckdb.StatementType.PRAGMA and (
            [d[0] for d in cursor.description or []] != ["Success"] or cursor.fetchone()
        ):
            raise several  # a PRAGMA that returned rows (table_info, version, ...)
    return con.execute(last)


@dataclass(frozen=True)
class Relation:
    """A table or view of the warehouse."""

    schema: str
    name: str
    kind: str  # "table" or "view"
    rows: int | None  # counted for tables, not for views
    description: str | None  # its DuckDB comment (dbt's persisted description)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


RELATIONS_SQL = """
select schema_name, table_name, 'table' as kind, comment from duckdb_tables()
where database_name = current_database() and not internal and not temporary
union all
select schema_name, view_name, 'view', comment from duckdb_views()
where database_name = current_database() and not internal and not temporary
order by schema_name <> 'marts', schema_name, 2
"""


def relations(con: duckdb.DuckDBPyConnection) -> list[Relation]:
    """Every table and view, the marts first, then schema by schema."""
    found = []
    for schema, name, kind, comment in con.execute(RELATIONS_SQL).fetchall():
        rows = None
        if kind == "table":
            rows = con.execute(
                f"select count(*) from {quote_identifier(schema)}.{quote_identifier(name)}"
            ).fetchone()[0]
        found.append(Relation(schema, name, kind, rows, comment))
    return found


class UnknownRelation(LookupError):
    """A name no table or view of the warehouse has."""


def find_relation(con: duckdb.DuckDBPyConnection, name: str) -> Relation:
    """The table or view `name` (`schema.name`, or `name`: in the marts first,
    then the other schemas); names compare as DuckDB's do, without case."""
    import difflib

    every = relations(con)
    key = ".".join(p.strip().strip('"') for p in name.split(".")).lower()
    for r in every:  # in the order of relations(): the marts first
        if key in (r.qualified.lower(), r.name.lower()):
            return r
    candidates: dict[str, str] = {}
    for r in every:
        candidates.setdefault(r.name.lower(), r.qualified)
        candidates.setdefault(r.qualified.lower(), r.qualified)
    close = dict.fromkeys(
        candidates[c] for c in difflib.get_close_matches(name.lower(), candidates, n=5)
    )
    hint = f"did you mean {', '.join(close)}?" if close else "`disclosure tables` lists them."
    raise UnknownRelation(f"no table or view {name!r} in the warehouse; {hint}")


COLUMNS_SQL = """
select column_name, data_type, is_nullable, comment from duckdb_columns()
where database_name = current_database() and schema_name = ? and table_name = ?
order by column_index
"""


def columns(con: duckdb.DuckDBPyConnection, relation: Relation) -> list[tuple]:
    """(name, type, nullable, description) of each column of `relation`."""
    return con.execute(COLUMNS_SQL, [relation.schema, relation.name]).fetchall()


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
