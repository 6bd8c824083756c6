"""What a build is made from, as one digest: the raw folder's listing (path,
size, mtime, ctime and inode of every file), the code and dbt project that turn it into marts,
and the settings that change what loads. Discovery stores it in the build
database (`landing.build_inputs`), so every published warehouse says what it
was built from; `disclosure build` skips the whole run when the published
warehouse was built from exactly what is there now."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import duckdb

from orchestration.ingest.files import listing, listing_digest
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings

_CODE = (
    [PROJECT_ROOT / "orchestration"]
    + [DBT_PROJECT_DIR / d for d in ("models", "macros", "seeds")]
    + [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
)


@functools.cache
def code_digest() -> str:
    digest = hashlib.sha256()
    for root in _CODE:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if path.suffix in (".py", ".sql", ".yml", ".yaml", ".csv"):
                digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def build_fingerprint(settings: Settings) -> str:
    parts = [
        str(settings.raw_dir.resolve()),
        listing_digest(listing(settings.raw_dir)),
        code_digest(),
        f"{settings.max_file_bytes}/{settings.max_text_bytes}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def published_fingerprint(warehouse: Path) -> str | None:
    """The fingerprint the published warehouse was built from (None: unknown)."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            row = con.execute("select fingerprint from landing.build_inputs").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None
