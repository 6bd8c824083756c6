"""Extraction results kept between runs, keyed by file content.

The cache is a DuckDB file holding the landing rows of every extraction
without the columns that depend on where the file lies (report_id,
source_path): a renamed or copied file is found again by its sha256 and
needs no new parse. Rows are keyed by (source_sha256, extractor_version); a
new EXTRACTOR_VERSION makes every file parse again, and rows of other
versions are dropped when new ones are stored.

The extractor also reads the dbt seeds (the indicator catalog, the applicant
columns), so the version the cache keys on is EXTRACTOR_VERSION plus a digest
of those files: editing the catalog re-parses everything as well.

Files the extractor refused (IngestError) are cached too, in `failures`, so a
broken file is not parsed on every run. Unexpected exceptions are not cached:
they are bugs, and the file is tried again next time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import duckdb
import polars as pl

from orchestration.extract.model import (
    EXTRACTOR_VERSION,
    LANDING_SCHEMAS,
    Extraction,
    extraction_frames,
)
from orchestration.settings import DBT_PROJECT_DIR

# Columns the landing tables take from the file's current place, not its content.
PATH_COLUMNS = ("report_id", "source_path")
KEY_COLUMNS: dict[str, pl.DataType] = {"source_sha256": pl.Utf8, "extractor_version": pl.Utf8}
FAILURES_SCHEMA: dict[str, pl.DataType] = {**KEY_COLUMNS, "stage": pl.Utf8, "reason": pl.Utf8}

_DUCKDB_TYPES = {
    pl.Utf8: "VARCHAR",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
}


def extraction_version() -> str:
    """EXTRACTOR_VERSION and a digest of the seed files the extractor reads."""
    digest = hashlib.sha256()
    for path in sorted((DBT_PROJECT_DIR / "seeds").glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{EXTRACTOR_VERSION}+{digest.hexdigest()[:12]}"


def cache_schemas() -> dict[str, dict[str, pl.DataType]]:
    """Column layout of each cache table: the key, then the content columns."""
    schemas = {
        name: {
            **KEY_COLUMNS,
            **{c: t for c, t in schema.items() if c not in PATH_COLUMNS and c not in KEY_COLUMNS},
        }
        for name, schema in LANDING_SCHEMAS.items()
    }
    schemas["failures"] = FAILURES_SCHEMA
    return schemas


@dataclass(frozen=True)
class Outcome:
    """What one parse of one file's content gave."""

    source_sha256: str
    extraction: Extraction | None = None
    stage: str | None = None  # set when the file failed
    reason: str | None = None
    cacheable: bool = True


class ExtractionCache:
    def __init__(self, path: Path, version: str | None = None):
        self.path = path
        self.version = version or extraction_version()
        self.schemas = cache_schemas()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        self._ensure_tables()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _ensure_tables(self) -> None:
        """Create the tables; recreate one whose columns no longer match the contract."""
        for name, schema in self.schemas.items():
            wanted = [(c, _DUCKDB_TYPES[t]) for c, t in schema.items()]
            found = self.con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'main' and table_name = ? order by ordinal_position",
                [name],
            ).fetchall()
            if found == wanted:
                continue
            columns = ", ".join(f'"{c}" {t}' for c, t in wanted)
            self.con.execute(f'create or replace table "{name}" ({columns})')

    def known(self) -> set[str]:
        """Content hashes already extracted (or refused) by this extractor version."""
        rows = self.con.execute(
            "select source_sha256 from reports where extractor_version = $v "
            "union select source_sha256 from failures where extractor_version = $v",
            {"v": self.version},
        ).fetchall()
        return {r[0] for r in rows}

    def store(self, outcomes: Iterable[Outcome]) -> int:
        """Write the cacheable outcomes in one transaction; returns how many were stored."""
        frames: dict[str, list[pl.DataFrame]] = {name: [] for name in self.schemas}
        shas = []
        for o in outcomes:
            if not o.cacheable:
                continue
            shas.append(o.source_sha256)
            key = {"source_sha256": o.source_sha256, "extractor_version": self.version}
            if o.extraction is None:
                frames["failures"].append(
                    pl.DataFrame(
                        [{**key, "stage": o.stage, "reason": o.reason}],
                        schema=FAILURES_SCHEMA,
                        orient="row",
                    )
                )
                continue
            for name, frame in extraction_frames(o.extraction).items():
                frames[name].append(
                    frame.drop(PATH_COLUMNS, strict=False).with_columns(
                        pl.lit(o.source_sha256).alias("source_sha256"),
                        pl.lit(self.version).alias("extractor_version"),
                    )
                )
        if not shas:
            return 0
        self.con.execute("begin transaction")
        try:
            for name, schema in self.schemas.items():
                self.con.execute(
                    f'delete from "{name}" where extractor_version <> $v '
                    "or source_sha256 in (select unnest($shas))",
                    {"v": self.version, "shas": shas},
                )
                parts = [f.select(list(schema)).cast(schema) for f in frames[name]]
                if parts:
                    batch = pl.concat(parts)  # noqa: F841 (read by DuckDB below)
                    self.con.execute(f'insert into "{name}" by name select * from batch')
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return len(shas)

    def load(self, shas: Iterable[str]) -> dict[str, pl.DataFrame]:
        """The cached rows of these content hashes, one frame per cache table."""
        shas = sorted(set(shas))
        if not shas:
            return {name: pl.DataFrame(schema=schema) for name, schema in self.schemas.items()}
        out = {}
        for name, schema in self.schemas.items():
            frame = self.con.sql(
                f'select * from "{name}" where extractor_version = $v '
                "and source_sha256 in (select unnest($shas))",
                params={"v": self.version, "shas": shas},
            ).pl()
            out[name] = frame.select(list(schema)).cast(schema)
        return out
