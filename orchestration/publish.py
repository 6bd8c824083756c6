"""Publishing the build database as the warehouse readers open.

The copy is written next to the target, flushed to disk, checked, and moved
over the target with os.replace (atomic on POSIX). A reader opening the
warehouse sees the old file or the new one, never a half-written one; a
reader that had the old file open keeps reading the old file until it
reconnects; a build killed before the replace leaves the old warehouse as it
was (and at worst a hidden temporary copy, removed by the next publish).

The SHA-256 of the published file is recorded next to the build database
(`<build db>.published`), so the up-to-date check can tell the warehouse it
published from one damaged since (a bad block, a disk error, a write by
someone who opened it read-write): that one is built again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path

from orchestration.settings import connect

CHUNK = 1 << 20
# A temporary copy this old belongs to a publish that was killed: a live one
# writes to it continuously and lasts seconds.
STALE_TMP_SECONDS = 15 * 60


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not possible on some platforms; the replace itself is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_copy(path: Path, catalog: str, required: tuple[str, ...]) -> dict[str, int]:
    """Open the copy under the name readers will use, count the rows of the
    required tables and bind every view, so a copy whose views point at
    another database name is never published."""
    with connect() as con:
        con.execute(f"attach '{path}' as \"{catalog}\" (read_only)")
        counts = {
            table: con.execute(f'select count(*) from "{catalog}".{table}').fetchone()[0]
            for table in required
        }
        views = con.execute(
            "select schema_name, view_name from duckdb_views() "
            "where database_name = ? and not internal",
            [catalog],
        ).fetchall()
        for schema, view in views:
            con.execute(f'select * from "{catalog}"."{schema}"."{view}" limit 0').fetchall()
    return counts


def _remove_stale_copies(target: Path) -> None:
    """Temporary copies left by publishes that were killed before the rename."""
    now = time.time()
    for tmp in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > STALE_TMP_SECONDS:
                tmp.unlink()
        except FileNotFoundError:
            pass


def publish_database(
    build_db: Path, target: Path, required: tuple[str, ...] = ()
) -> dict[str, int]:
    """Copy `build_db` to `target` atomically.

    `required` names tables (schema.table) that must exist in the copy;
    returns their row counts.
    """
    if build_db.stem != target.stem:
        raise ValueError(
            f"the build database {build_db.name} and the warehouse {target.name} must share "
            "a file name: dbt's views name the database by it"
        )
    # Fold the write-ahead log into the file so the copy holds everything.
    with connect(build_db) as con:
        con.execute("checkpoint")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_copies(target)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    digest = hashlib.sha256()
    try:
        with build_db.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
                digest.update(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        counts = _check_copy(tmp, target.stem, required)
        size = tmp.stat().st_size
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    _record(build_db, {"path": str(target), "size": size, "sha256": digest.hexdigest()})
    return counts


def record_path(build_db: Path) -> Path:
    """Where a publish from `build_db` records what it published. Not in the
    warehouse's folder: that holds only what readers open."""
    return build_db.with_name(build_db.name + ".published")


def _record(build_db: Path, record: dict) -> None:
    # Written after the replace: a crash in between leaves a record that does
    # not match, which only ever makes the next build run.
    path = record_path(build_db)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def damage(build_db: Path, target: Path) -> str | None:
    """Why the file at `target` is not the one last published from
    `build_db`, byte for byte; None when it is."""
    try:
        record = json.loads(record_path(build_db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "has no checksum recorded by its publish"
    try:
        size = target.stat().st_size
        with target.open("rb") as f:
            sha = hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    if (size, sha) != (record.get("size"), record.get("sha256")):
        return "no longer matches the checksum recorded when it was published (damaged or altered)"
    return None
