"""What a build is made from, as one digest: the raw folder's listing (path,
size, mtime, ctime and inode of every file), the code and dbt project that turn it into marts,
and the settings that change what loads. Discovery stores it in the build
database (`landing.build_inputs`), so every published warehouse says what it
was built from; `disclosure build` skips the whole run when the published
warehouse was built from exactly what is there now, is the very file that
was published (its checksum), and left no failure a build must try again
(`landing.retries`: an unexpected error, a worker death, a file unreadable or
changed while it was read; with --retry-failed also a timeout)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import code_version, publish
from orchestration.ingest.files import listing, listing_digest
from orchestration.settings import Settings, connect


def build_fingerprint(settings: Settings) -> str:
    parts = [
        str(settings.raw_dir.resolve()),
        listing_digest(listing(settings.raw_dir)),
        code_version.digest(code_version.BUILD),
        f"{settings.max_file_bytes}/{settings.max_text_bytes}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Published:
    """What the published warehouse says about the build that made it."""

    fingerprint: str | None
    retry_next_build: int = 0  # files every build tries again
    timed_out: int = 0  # files `--retry-failed` tries again


def read_published(warehouse: Path) -> Published:
    """Raises duckdb.Error when the warehouse cannot be read."""
    with connect(warehouse, read_only=True) as con:
        row = con.execute("select fingerprint from landing.build_inputs").fetchone()
        try:
            retries = dict(
                con.execute("select retry, count(*) from landing.retries group by retry").fetchall()
            )
        except duckdb.CatalogException:  # published before failures were recorded for retry
            retries = {}
    return Published(
        row[0] if row else None, retries.get("next_build", 0), retries.get("retry_failed", 0)
    )


def pending_retries(warehouse: Path) -> int:
    """How many files of the published warehouse the next build tries again."""
    try:
        return read_published(warehouse).retry_next_build
    except duckdb.Error:
        return 0


def _files(n: int) -> str:
    return f"{n} file{'s' * (n != 1)}"


def stale_reasons(settings: Settings, retry_failed: bool = False) -> list[str]:
    """Why the published warehouse must be built again; none: it is up to date."""
    warehouse = settings.warehouse_path
    if not warehouse.exists():
        return [f"no warehouse is published at {warehouse} yet"]
    damaged = publish.damage(settings.build_db, warehouse)
    if damaged:
        return [f"the published warehouse {damaged}"]
    try:
        published = read_published(warehouse)
    except duckdb.Error as e:
        return [f"the published warehouse cannot be read ({e})"]
    reasons = []
    if published.fingerprint != build_fingerprint(settings):
        reasons.append("the raw folder, the code or the settings changed since the last build")
    if published.retry_next_build:
        reasons.append(
            f"{_files(published.retry_next_build)} failed in a way every build tries again "
            "(an unexpected error, a worker that died, a file unreadable or changed meanwhile)"
        )
    if retry_failed and published.timed_out:
        reasons.append(f"{_files(published.timed_out)} that timed out to try again")
    return reasons
