"""Writing every mart of the published warehouse to Parquet or CSV files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

FORMATS = {"parquet": "(format parquet, compression zstd)", "csv": "(format csv, header true)"}


@dataclass(frozen=True)
class Exported:
    table: str
    rows: int
    path: Path


def export_marts(warehouse: Path, out_dir: Path, fmt: str = "parquet") -> list[Exported]:
    """One file per mart (`<out_dir>/<table>.<fmt>`); each file appears whole or not at all."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'marts' and table_catalog = current_database() order by 1"
        ).fetchall()]
        for table in tables:
            path = out_dir / f"{table}.{fmt}"
            tmp = path.with_name(f".{path.name}.tmp")
            con.execute(f"copy (select * from marts.\"{table}\") to '{tmp}' {FORMATS[fmt]}")
            os.replace(tmp, path)
            rows = con.execute(f'select count(*) from marts."{table}"').fetchone()[0]
            done.append(Exported(table, rows, path))
    return done
