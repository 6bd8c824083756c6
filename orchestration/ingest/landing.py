"""Writing frames into the build database, all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from orchestration.settings import STORAGE_VERSION, connect, storage_version

LANDING_SCHEMA = "landing"


def drop_stale_relations(db_path: Path, keep: set[tuple[str, str]]) -> list[str]:
    """Drop the tables and views of the schemas named in `keep` ((schema, name)
    pairs) that are not in `keep`: what a dbt model since removed or renamed
    left in the build database. Other schemas (landing) are not touched.
    Returns the dropped relations."""
    if not db_path.exists():
        return []
    schemas = sorted({schema for schema, _ in keep})
    dropped = []
    with connect(db_path) as con:
        found = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() and table_schema in (select unnest(?))",
            [schemas],
        ).fetchall()
        for schema, name, kind in found:
            if (schema, name) in keep:
                continue
            what = "view" if kind == "VIEW" else "table"
            con.execute(f'drop {what} if exists "{schema}"."{name}" cascade')
            dropped.append(f"{schema}.{name}")
    return dropped


def remove_if_other_format(db_path: Path) -> str | None:
    """Delete the build database when it was made in another storage format
    than STORAGE_VERSION (by an older release of this project): every run
    rebuilds it whole, and the file published is this one. Returns the
    format it had, or None when it was kept (or absent)."""
    if not db_path.exists():
        return None
    with connect(db_path, read_only=True) as con:
        found = storage_version(con)
    if found.rstrip("+") == STORAGE_VERSION:
        return None
    db_path.unlink()
    db_path.with_name(db_path.name + ".wal").unlink(missing_ok=True)
    return found


def write_tables(
    db_path: Path, frames: dict[str, pl.DataFrame], schema: str = LANDING_SCHEMA
) -> None:
    """CREATE OR REPLACE each frame as `schema.<name>` in one transaction: a
    failure leaves every table as it was."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with connect(db_path) as con:
        con.execute("begin transaction")
        try:
            con.execute(f'create schema if not exists "{schema}"')
            for name, frame in frames.items():
                con.register("_frame", frame)
                con.execute(f'create or replace table "{schema}"."{name}" as select * from _frame')
                con.unregister("_frame")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write `frame` to `path` whole or not at all (a temporary file renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, path)


def read_table(db_path: Path, name: str, schema: str = LANDING_SCHEMA) -> pl.DataFrame:
    # Not read_only: DuckDB refuses a second in-process connection to one file
    # with another configuration, and only this build writes the file anyway.
    with connect(db_path) as con:
        return con.sql(f'select * from "{schema}"."{name}"').pl()
