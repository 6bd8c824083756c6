"""Where things live: the one place that reads paths from the environment.

Everything is read when asked for (not at import), so the CLI can point a run
at another raw folder or warehouse by setting the variables first.

| variable               | default                                   |
|------------------------|-------------------------------------------|
| DISCLOSURE_RAW         | <project>/raw                             |
| DISCLOSURE_WAREHOUSE   | <project>/warehouse/disclosure.duckdb     |
| DISCLOSURE_BUILD_DB    | <warehouse dir>/build/<warehouse name>    |
| DISCLOSURE_CACHE       | <warehouse dir>/cache/extractions.duckdb  |
| DISCLOSURE_WORKERS     | 2 (0 parses in the calling process)       |

The build database keeps the published file's name: dbt writes views whose
SQL names the database (the file's stem), so the published copy must open
under the same name for the staging views to resolve.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

ENV_RAW = "DISCLOSURE_RAW"
ENV_WAREHOUSE = "DISCLOSURE_WAREHOUSE"
ENV_BUILD_DB = "DISCLOSURE_BUILD_DB"
ENV_CACHE = "DISCLOSURE_CACHE"
ENV_WORKERS = "DISCLOSURE_WORKERS"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    path = Path(value).expanduser() if value else default
    return path if path.is_absolute() else (Path.cwd() / path)


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    warehouse_path: Path  # the published, read-only-for-everyone file
    build_db: Path  # the working database Dagster and dbt write into
    cache_db: Path  # extraction results keyed by (sha256, extractor version)
    workers: int
    batch_size: int = 16

    @classmethod
    def from_env(cls) -> Settings:
        warehouse = _path(ENV_WAREHOUSE, PROJECT_ROOT / "warehouse" / "disclosure.duckdb")
        return cls(
            raw_dir=_path(ENV_RAW, PROJECT_ROOT / "raw"),
            warehouse_path=warehouse,
            build_db=_path(ENV_BUILD_DB, warehouse.parent / "build" / warehouse.name),
            cache_db=_path(ENV_CACHE, warehouse.parent / "cache" / "extractions.duckdb"),
            workers=int(os.environ.get(ENV_WORKERS, "2")),
        )

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artifacts (run_results.json, compiled SQL, logs) of the last build."""
        return self.build_db.parent / "dbt-target"

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt's profiles.yml reads."""
        return {ENV_BUILD_DB: str(self.build_db)}
