"""Where things live: the one place that reads paths from the environment.

Everything is read when asked for (not at import), so the CLI can point a run
at another raw folder or warehouse by setting the variables first.

| variable                  | default                                   |
|---------------------------|-------------------------------------------|
| DISCLOSURE_RAW            | <project>/raw                             |
| DISCLOSURE_WAREHOUSE      | <project>/warehouse/disclosure.duckdb     |
| DISCLOSURE_BUILD_DB       | <warehouse dir>/build/<warehouse name>    |
| DISCLOSURE_CACHE          | <warehouse dir>/cache/extractions.duckdb  |
| DISCLOSURE_WORKERS        | 2 (0 parses in the calling process)       |
| DISCLOSURE_MAX_FILE_MB    | 200: larger files are not read at all     |
| DISCLOSURE_MAX_TEXT_MB    | 5: larger text/HTML files are not parsed  |
| DISCLOSURE_FILE_TIMEOUT   | 300: seconds one file may take to parse   |
| DISCLOSURE_WORKER_MEMORY_MB | 2048: memory one extraction worker may  |
|                           | take (0: no limit)                        |
| DISCLOSURE_SETTLE_SECONDS | 60: the raw-folder sensor waits until no  |
|                           | file changed for this long                |
| DISCLOSURE_SENSOR_RETRIES | 3: builds the sensor starts, the folder   |
|                           | unchanged, to retry files that failed     |
| DISCLOSURE_RETRY_FAILED   | unset: 1 also parses again files that     |
|                           | timed out before (`build --retry-failed`) |

The size limits keep one odd file from stalling a run or a worker's memory:
the extractor reads a file whole, and the text and HTML parsers take about a
second per megabyte (a 30 MB text file: half a minute), while a real report's
text is well under 1 MB. PDF and DOCX files grow with images, not text, hence
the larger general limit. A file over a limit is listed in
`marts.ingest_error` (stage `discover`) with its size and the limit. A
file that still parses after DISCLOSURE_FILE_TIMEOUT seconds (a pathological
PDF) has its worker stopped and is listed (stage `extract`, "timed out"); it
is tried again next run.

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
ENV_MAX_FILE_MB = "DISCLOSURE_MAX_FILE_MB"
ENV_MAX_TEXT_MB = "DISCLOSURE_MAX_TEXT_MB"
ENV_SETTLE_SECONDS = "DISCLOSURE_SETTLE_SECONDS"
ENV_FILE_TIMEOUT = "DISCLOSURE_FILE_TIMEOUT"
ENV_SENSOR_RETRIES = "DISCLOSURE_SENSOR_RETRIES"
ENV_RETRY_FAILED = "DISCLOSURE_RETRY_FAILED"
ENV_WORKER_MEMORY_MB = "DISCLOSURE_WORKER_MEMORY_MB"
MB = 1 << 20


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
    max_file_bytes: int = 200 * MB  # any format: the extractor reads files whole
    max_text_bytes: int = 5 * MB  # text and HTML: parse time grows with the text
    settle_seconds: float = 60.0  # the raw-folder sensor waits for files to stop changing
    file_timeout: float = 300.0  # a worker still parsing one file after this is stopped
    # A failure every build retries would otherwise start a build a minute.
    sensor_retries: int = 3  # builds the sensor starts on an unchanged folder to retry failures
    retry_failed: bool = False  # also parse again the contents that timed out before
    worker_memory_bytes: int = 2048 * MB  # an extraction worker's data limit (0: none)

    @classmethod
    def from_env(cls) -> Settings:
        warehouse = _path(ENV_WAREHOUSE, PROJECT_ROOT / "warehouse" / "disclosure.duckdb")
        return cls(
            raw_dir=_path(ENV_RAW, PROJECT_ROOT / "raw"),
            warehouse_path=warehouse,
            build_db=_path(ENV_BUILD_DB, warehouse.parent / "build" / warehouse.name),
            cache_db=_path(ENV_CACHE, warehouse.parent / "cache" / "extractions.duckdb"),
            workers=int(os.environ.get(ENV_WORKERS, "2")),
            max_file_bytes=int(float(os.environ.get(ENV_MAX_FILE_MB, "200")) * MB),
            max_text_bytes=int(float(os.environ.get(ENV_MAX_TEXT_MB, "5")) * MB),
            settle_seconds=float(os.environ.get(ENV_SETTLE_SECONDS, "60")),
            file_timeout=float(os.environ.get(ENV_FILE_TIMEOUT, "300")),
            sensor_retries=int(os.environ.get(ENV_SENSOR_RETRIES, "3")),
            retry_failed=os.environ.get(ENV_RETRY_FAILED, "") not in ("", "0"),
            worker_memory_bytes=int(float(os.environ.get(ENV_WORKER_MEMORY_MB, "2048")) * MB),
        )

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artifacts (run_results.json, compiled SQL, logs) of the last build."""
        return self.build_db.parent / "dbt-target"

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt's profiles.yml reads."""
        return {ENV_BUILD_DB: str(self.build_db)}
