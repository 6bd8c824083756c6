"""One digest of the code, for everything that must notice a change to it.

Three things key on it, each over the sources that decide its output:
the extraction cache (the extractor and the seeds it reads: an edit parses
every file again, nobody has to remember to bump a number), the dbt manifest
Dagster loads (the dbt project), and the up-to-date check of a build
(all of it)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

Sources = tuple[tuple[Path, str], ...]  # (folder or file, glob of the files that count)

EXTRACTION: Sources = (
    (PROJECT_ROOT / "orchestration" / "extract", "**/*.py"),
    (DBT_PROJECT_DIR / "seeds", "*.csv"),
)
DBT: Sources = (
    (DBT_PROJECT_DIR / "dbt_project.yml", ""),
    (DBT_PROJECT_DIR / "profiles.yml", ""),
    *((DBT_PROJECT_DIR / d, "**/*") for d in ("models", "macros", "seeds", "tests")),
)
BUILD: Sources = ((PROJECT_ROOT / "orchestration", "**/*.py"), *DBT)


@functools.cache
def digest(sources: Sources) -> str:
    """SHA-256 (32 hex digits) over the relative path and the bytes of every file."""
    h = hashlib.sha256()
    for root, pattern in sources:
        files = [root] if not pattern else sorted(p for p in root.glob(pattern) if p.is_file())
        for path in files:
            if path.is_file():
                h.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
                h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:32]
