"""Extraction results kept between runs, keyed by file content.

The cache is a DuckDB file holding the landing rows of every extraction
without the columns that depend on where the file lies (report_id,
source_path): a renamed or copied file is found again by its sha256 and
needs no new parse. Rows are keyed by (source_sha256, extractor_version); a
new EXTRACTOR_VERSION makes every file parse again, and rows of other
versions are dropped when new ones are stored.

The version the cache keys on is EXTRACTOR_VERSION plus a digest of the
extractor's source code and of the dbt seeds it reads (the indicator catalog,
the applicant columns): editing either re-parses everything.

Files the extractor refused (a Refusal: code, stage and reason, see
orchestration/extract/refusals.py) are cached too, in `failures`, so a
broken file is not parsed on every run; so are files that timed out
(`timed_out`), tried again only with `disclosure build --retry-failed` or a
new version. Unexpected exceptions and worker deaths are not cached: they
are bugs or accidents, and the file is tried again on every build. Nor is a
failure of the file's path (unreadable, gone, changed since discovery hashed
it): another copy of the same content may read fine, and a result is only
ever stored under the hash of the bytes it was computed from.

`file_hashes` remembers each raw file's SHA-256 under its stat signature, so
discovery does not read an unchanged file to hash it again. It holds the
files of the last discovery only.

Rows of contents no longer under the raw folder stay (a file moved back, or
an edit undone, is not parsed again); they are dropped with every row when
EXTRACTOR_VERSION changes, or by deleting the cache file.

A build holds `<cache>.lock` while it uses the cache, so two warehouses
sharing one cache take turns: the second is told so at once. A cache file
DuckDB cannot read (garbage, truncated, a damaged block) is renamed
`<name>.corrupt-<time>`, kept for inspection, and replaced by a new one.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self, TypeVar

import duckdb
import polars as pl

from orchestration import code_version
from orchestration.extract.model import (
    EXTRACTOR_VERSION,
    LANDING_SCHEMAS,
    Extraction,
    extraction_frames,
)
from orchestration.extract.refusals import Refusal
from orchestration.ingest.files import RawFile, StatKey
from orchestration.settings import connect

# Columns the landing tables take from the file's current place, not its content.
PATH_COLUMNS = ("report_id", "source_path")
KEY_COLUMNS: dict[str, pl.DataType] = {"source_sha256": pl.Utf8, "extractor_version": pl.Utf8}
FAILURES_SCHEMA: dict[str, pl.DataType] = {
    **KEY_COLUMNS,
    "stage": pl.Utf8,
    "code": pl.Utf8,  # the refusal table's code
    "reason": pl.Utf8,
    "timed_out": pl.Boolean,  # tried again only with --retry-failed
}
FILE_HASHES_DDL = (
    "create table if not exists file_hashes (source_path varchar, size_bytes bigint, "
    "mtime_ns bigint, ctime_ns bigint, inode bigint, source_sha256 varchar)"
)

# How DuckDB words a file it cannot read as a database; anything else (a
# lock held, a permission) is not the file's fault and is left alone.
DAMAGE_SIGNS = (
    "not a valid DuckDB database file",
    "Corrupt database file",
    "does not match stored checksum",
    "Could not read enough bytes",
    "Serialization Error",
    "database file with version number",
)
IN_USE_SIGNS = ("Could not set lock", "Conflicting lock")

T = TypeVar("T")

_DUCKDB_TYPES = {
    pl.Utf8: "VARCHAR",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
}


def extraction_version() -> str:
    """EXTRACTOR_VERSION and the digest of what decides an extraction (the
    extractor's code and the seeds it reads: orchestration/code_version.py)."""
    return f"{EXTRACTOR_VERSION}+{code_version.digest(code_version.EXTRACTION)[:12]}"


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
    code: str | None = None  # the refusal table's code, when the file failed
    reason: str | None = None
    cacheable: bool = True  # False: tried again on every build
    timed_out: bool = False  # cached, but tried again with --retry-failed
    by_path: bool = False  # the path failed, not the content: never cached, not charged to copies

    @classmethod
    def refused(cls, sha: str, refusal: Refusal, **flags: bool) -> Outcome:
        """The file failed for `refusal` (flags: cacheable, timed_out, by_path)."""
        return cls(sha, stage=refusal.stage, code=refusal.code, reason=refusal.reason, **flags)

    @classmethod
    def path_failure(cls, sha: str, refusal: Refusal) -> Outcome:
        return cls.refused(sha, refusal, cacheable=False, by_path=True)


def cache_frames(
    outcomes: Iterable[Outcome], version: str
) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """The cache rows of the cacheable outcomes (one frame per cache table,
    keyed by content and `version`) and their content hashes."""
    schemas = cache_schemas()
    frames: dict[str, list[pl.DataFrame]] = {name: [] for name in schemas}
    shas = []
    for o in outcomes:
        if not o.cacheable or o.by_path:
            continue
        shas.append(o.source_sha256)
        key = {"source_sha256": o.source_sha256, "extractor_version": version}
        if o.extraction is None:
            frames["failures"].append(
                pl.DataFrame(
                    [
                        {
                            **key,
                            "stage": o.stage,
                            "code": o.code,
                            "reason": o.reason,
                            "timed_out": o.timed_out,
                        }
                    ],
                    schema=FAILURES_SCHEMA,
                    orient="row",
                )
            )
            continue
        for name, frame in extraction_frames(o.extraction).items():
            frames[name].append(
                frame.drop(PATH_COLUMNS, strict=False).with_columns(
                    pl.lit(o.source_sha256).alias("source_sha256"),
                    pl.lit(version).alias("extractor_version"),
                )
            )
    return {
        name: pl.concat([f.select(list(schema)).cast(schema) for f in parts])
        if parts
        else pl.DataFrame(schema=schema)
        for name, parts in frames.items()
        for schema in [schemas[name]]
    }, shas


class ExtractionCache:
    def __init__(self, path: Path, version: str | None = None):
        self.path = path
        self.version = version or extraction_version()
        self.schemas = cache_schemas()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = connect(path)
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
        self.con.execute(FILE_HASHES_DDL)

    def file_hashes(self) -> dict[StatKey, str]:
        """SHA-256 of the files of the last discovery, by stat signature."""
        rows = self.con.execute(
            "select source_path, size_bytes, mtime_ns, ctime_ns, inode, source_sha256 "
            "from file_hashes"
        ).fetchall()
        return {tuple(r[:5]): r[5] for r in rows}

    def remember_file_hashes(self, files: Iterable[RawFile]) -> None:
        """Replace the remembered hashes with these files' ones."""
        rows = [
            (*f.stat_key, f.file_sha256 or f.source_sha256) for f in files if f.stat_key is not None
        ]
        frame = pl.DataFrame(  # noqa: F841 (read by DuckDB below)
            rows,
            schema={
                "source_path": pl.Utf8,
                "size_bytes": pl.Int64,
                "mtime_ns": pl.Int64,
                "ctime_ns": pl.Int64,
                "inode": pl.Int64,
                "source_sha256": pl.Utf8,
            },
            orient="row",
        )
        self.con.execute("begin transaction")
        try:
            self.con.execute("delete from file_hashes")
            self.con.execute("insert into file_hashes by name select * from frame")
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise

    def known(self) -> set[str]:
        """Content hashes this extractor version extracted or refused: done with."""
        rows = self.con.execute(
            "select source_sha256 from reports where extractor_version = $v "
            "union select source_sha256 from failures where extractor_version = $v "
            "and not timed_out",
            {"v": self.version},
        ).fetchall()
        return {r[0] for r in rows}

    def timed_out(self) -> set[str]:
        """Content hashes whose parse this extractor version stopped: tried
        again only on demand (`--retry-failed`)."""
        rows = self.con.execute(
            "select source_sha256 from failures where extractor_version = $v and timed_out",
            {"v": self.version},
        ).fetchall()
        return {r[0] for r in rows}

    def store(self, outcomes: Iterable[Outcome]) -> int:
        """Write the cacheable outcomes in one transaction; returns how many were stored."""
        frames, shas = cache_frames(outcomes, self.version)
        return self.store_frames(frames, shas)

    def store_frames(self, frames: dict[str, pl.DataFrame], shas: list[str]) -> int:
        """Replace the rows of the contents `shas` with `frames` (cache_frames'
        layout, this version's rows) in one transaction; returns len(shas)."""
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
                batch = frames.get(name)  # noqa: F841 (read by DuckDB below)
                if batch is not None and batch.height:
                    batch = batch.select(list(schema)).cast(schema)
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


class CacheInUse(RuntimeError):
    """Another build, of another warehouse sharing the cache, is using it."""


def is_damaged(error: duckdb.Error) -> bool:
    """Whether DuckDB failed because the file is not a readable database."""
    return any(sign in str(error) for sign in DAMAGE_SIGNS)


def set_aside(path: Path) -> Path:
    """Rename a damaged database file (and its write-ahead log) to
    `<name>.corrupt-<time>`, kept for inspection; returns the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    moved, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while moved.exists():
        moved, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
    os.replace(path, moved)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, moved.with_name(moved.name + ".wal"))
    return moved


def set_aside_if_damaged(
    path: Path, on_set_aside: Callable[[Path, duckdb.Error], None] = lambda _moved, _error: None
) -> Path | None:
    """Open the DuckDB file at `path` and read its catalog; a file that is
    not a readable database is set aside (`on_set_aside` is told where, and
    it is returned), so the next connection starts a new one."""
    if not path.exists():
        return None
    try:
        with connect(path) as con:
            con.execute("select count(*) from duckdb_tables()").fetchall()
    except duckdb.Error as e:
        if not is_damaged(e):
            raise
        moved = set_aside(path)
        on_set_aside(moved, e)
        return moved
    return None


def cache_lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def cache_lock(path: Path) -> Iterator[None]:
    """Hold the cache's lock, or raise CacheInUse at once."""
    # Imported here: orchestration.lock brings in Dagster, which the worker
    # processes (they import this module for Outcome) do not need.
    from orchestration.lock import BuildLocked, build_lock

    lock = cache_lock_path(path)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(build_lock(lock))
        except BuildLocked:
            holder = lock.read_text(encoding="utf-8").strip() or "another process"
            raise CacheInUse(
                f"the extraction cache {path} is in use by another build ({holder}), "
                "of another warehouse sharing it (DISCLOSURE_CACHE): builds take turns "
                "on a shared cache. Wait for that build to finish, or give each "
                "warehouse its own cache."
            ) from None
        yield


def run_with_cache(
    path: Path,
    work: Callable[[ExtractionCache], T],
    on_set_aside: Callable[[Path, duckdb.Error], None] = lambda _moved, _error: None,
) -> T:
    """Run `work` with the cache at `path` open, holding its lock. A cache
    DuckDB cannot read, found on opening it or by any read of `work`, is set
    aside (`on_set_aside` is told where) and `work` runs once more on a new
    one: a damaged cache costs a re-parse, never a failed build."""
    with cache_lock(path):
        try:
            return _with_open_cache(path, work)
        except duckdb.Error as e:
            if not is_damaged(e):
                raise
            on_set_aside(set_aside(path), e)
        return _with_open_cache(path, work)


def _with_open_cache(path: Path, work: Callable[[ExtractionCache], T]) -> T:
    try:
        with ExtractionCache(path) as cache:
            return work(cache)
    except duckdb.IOException as e:
        if any(sign in str(e) for sign in IN_USE_SIGNS):
            raise CacheInUse(
                f"the extraction cache {path} is open in another process ({e}); "
                "close it, or wait for the build using it to finish"
            ) from None
        raise
