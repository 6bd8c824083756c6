"""The warehouse's configuration: the one module that reads the environment.

`Settings` is a Dagster resource. `definitions.py` builds it once from the
environment (`Settings.from_env()`) and hands it to every asset, check,
sensor and to the build lock; the CLI builds it the same way, with its
options as overrides, and runs the job on Definitions made from it. The UI
shows it under each run's resources.

| variable                  | default                                   |
|---------------------------|-------------------------------------------|
| DISCLOSURE_RAW            | <project>/raw                             |
| DISCLOSURE_WAREHOUSE      | <project>/warehouse/disclosure.duckdb     |
| DISCLOSURE_BUILD_DB       | <warehouse dir>/build/<warehouse name>    |
| DISCLOSURE_CACHE          | <warehouse dir>/cache/extractions.duckdb  |
| DISCLOSURE_SHARDS         | <warehouse dir>/shards: what the parsing  |
|                           | partitions write, shared with them        |
| DISCLOSURE_WORKERS        | 2 (0 parses in the calling process)       |
| DISCLOSURE_MAX_FILE_MB    | 200: larger files are not read at all     |
| DISCLOSURE_MAX_TEXT_MB    | 5: larger text/HTML files are not parsed  |
| DISCLOSURE_FILE_TIMEOUT   | 300: seconds one file may take to parse   |
| DISCLOSURE_WORKER_MEMORY_MB | 2048: memory one extraction worker may  |
|                           | take (0: no limit)                        |
| DISCLOSURE_DBT_MEMORY_MB  | 3072: DuckDB's memory limit in dbt (it  |
|                           | spills to disk past it)                   |
| DISCLOSURE_SETTLE_SECONDS | 60: the raw-folder sensor waits until no  |
|                           | file changed for this long                |
| DISCLOSURE_SENSOR_RETRIES | 3: builds the sensor starts, the folder   |
|                           | unchanged, to retry files that failed     |
| DISCLOSURE_RETRY_FAILED   | unset: 1 also parses again files that     |
|                           | timed out before (`build --retry-failed`) |
| DISCLOSURE_SCHEDULE_CRON  | `0 3 * * *`: when the daily build runs    |
| DISCLOSURE_SCHEDULE_TIMEZONE | Asia/Shanghai                          |
| DISCLOSURE_COLLECT_SOURCES | unset: the sources CSV the collector    |
|                           | reads (orchestration/collect/sources.py)  |
| DISCLOSURE_COLLECT_CONTACT | a placeholder URL: the contact the       |
|                           | collector's User-Agent names; set it      |
| DISCLOSURE_COLLECT_DELAY  | 1: seconds between two requests to a host |
| DISCLOSURE_COLLECT_TIMEOUT | 30: seconds without data before a site's |
|                           | response is given up                      |
| DISCLOSURE_COLLECT_INTERVAL_HOURS | 24: collect_sensor collects again |
|                           | after this long                           |
| DAGSTER_HOME              | unset: the CLI keeps no run history       |

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

ENV_RAW = "DISCLOSURE_RAW"
ENV_WAREHOUSE = "DISCLOSURE_WAREHOUSE"
ENV_BUILD_DB = "DISCLOSURE_BUILD_DB"
ENV_CACHE = "DISCLOSURE_CACHE"
ENV_SHARDS = "DISCLOSURE_SHARDS"
ENV_WORKERS = "DISCLOSURE_WORKERS"
ENV_MAX_FILE_MB = "DISCLOSURE_MAX_FILE_MB"
ENV_MAX_TEXT_MB = "DISCLOSURE_MAX_TEXT_MB"
ENV_SETTLE_SECONDS = "DISCLOSURE_SETTLE_SECONDS"
ENV_FILE_TIMEOUT = "DISCLOSURE_FILE_TIMEOUT"
ENV_SENSOR_RETRIES = "DISCLOSURE_SENSOR_RETRIES"
ENV_RETRY_FAILED = "DISCLOSURE_RETRY_FAILED"
ENV_WORKER_MEMORY_MB = "DISCLOSURE_WORKER_MEMORY_MB"
ENV_DBT_MEMORY_MB = "DISCLOSURE_DBT_MEMORY_MB"
ENV_SCHEDULE_CRON = "DISCLOSURE_SCHEDULE_CRON"
ENV_SCHEDULE_TIMEZONE = "DISCLOSURE_SCHEDULE_TIMEZONE"
ENV_COLLECT_SOURCES = "DISCLOSURE_COLLECT_SOURCES"
ENV_COLLECT_CONTACT = "DISCLOSURE_COLLECT_CONTACT"
ENV_COLLECT_DELAY = "DISCLOSURE_COLLECT_DELAY"
ENV_COLLECT_TIMEOUT = "DISCLOSURE_COLLECT_TIMEOUT"
ENV_COLLECT_INTERVAL_HOURS = "DISCLOSURE_COLLECT_INTERVAL_HOURS"
COLLECT_CONTACT_PLACEHOLDER = "https://example.org/disclosure-warehouse/contact"
MB = 1 << 20


# The storage format of every database file the project creates: the
# published warehouse opens in the DuckDB clients people have installed (the
# 1.5 CLI, notebooks on an older duckdb), not only in this duckdb. A file keeps
# the format it was created in whoever writes it later (dbt included).
STORAGE_VERSION = "v1.5.0"


def connect(
    path: Path | str | None = None, read_only: bool = False, config: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the file at `path` (None: in memory). Every
    connection of the project is opened here, so all of them agree on how a
    file is opened (DuckDB refuses a second in-process connection to one file
    with another configuration) and create files in STORAGE_VERSION."""
    options = {"storage_compatibility_version": STORAGE_VERSION, **(config or {})}
    return duckdb.connect(":memory:" if path is None else str(path), read_only, options)


def storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format of the connection's database file ('v1.5.0+')."""
    tags = con.execute(
        "select tags from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    return tags.get("storage_version", "")


@contextmanager
def process_environment(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ is `env` for the block, then as it was: the one place the
    package writes the environment, for dbt run in this process
    (orchestration/dbt_in_process.py), which reads its DBT_* variables and
    the profile's env_var() from os.environ, as a child's environment. Only
    the variables that differ change, since the other threads see them too."""
    old = dict(os.environ)
    changed = {k for k in env if old.get(k) != env[k]} | (old.keys() - env.keys())
    for k in changed:
        if k in env:
            os.environ[k] = env[k]
        else:
            del os.environ[k]
    try:
        yield
    finally:
        for k in changed:
            if k in old:
                os.environ[k] = old[k]
            else:
                os.environ.pop(k, None)


def _path(value: str | None, default: Path) -> str:
    path = Path(value).expanduser() if value else default
    return str(path if path.is_absolute() else (Path.cwd() / path))


class Settings(dg.ConfigurableResource):
    """Where the warehouse's files live and the limits of a build."""

    raw_folder: str
    warehouse_file: str  # the published, read-only-for-everyone file
    build_database: str  # the working database Dagster and dbt write into
    cache_database: str  # extraction results keyed by (sha256, extractor version)
    shards_folder: str = ""  # parsing partitions' results and file list, shared with them
    workers: int = 2  # extraction worker processes (0: parse in this process)
    batch_size: int = 16
    max_file_mb: float = 200  # any format: the extractor reads files whole
    max_text_mb: float = 5  # text and HTML: parse time grows with the text
    file_timeout: float = 300  # a worker still parsing one file after this is stopped
    worker_memory_mb: float = 2048  # an extraction worker's data limit (0: none)
    # DuckDB takes 80 % of the machine by default; past the limit it spills to disk.
    dbt_memory_mb: int = 3072
    settle_seconds: float = 60  # the raw-folder sensor waits for files to stop changing
    # A failure every build retries would otherwise start a build a minute.
    sensor_retries: int = 3  # builds the sensor starts on an unchanged folder to retry failures
    retry_failed: bool = False  # also parse again the contents that timed out before
    full_refresh: bool = False  # rebuild every mart whole, not only the reports that changed
    schedule_cron: str = "0 3 * * *"
    schedule_timezone: str = "Asia/Shanghai"
    dagster_home: str = ""  # where runs are recorded ('': a throwaway instance for the CLI)
    collect_sources: str = ""  # the sources CSV of the collector ('': none configured)
    collect_contact: str = COLLECT_CONTACT_PLACEHOLDER  # named in the collector's User-Agent
    collect_delay: float = 1.0  # seconds between two requests to one host
    collect_timeout: float = 30  # seconds without data before a response is given up
    collect_interval_hours: float = 24  # collect_sensor collects again after this long

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        raw_dir: Path | None = None,
        warehouse: Path | None = None,
        retry_failed: bool = False,
        collect_sources: Path | None = None,
        full_refresh: bool = False,
    ) -> Settings:
        """The settings the environment gives (the table above); the CLI's
        options (`raw_dir`, `warehouse`, `retry_failed`, `collect_sources`)
        take the place of their variables, and `full_refresh` (no variable:
        a one-off) is `build --full-refresh`."""
        env = dict(os.environ if environ is None else environ)
        for name, value in (
            (ENV_RAW, raw_dir),
            (ENV_WAREHOUSE, warehouse),
            (ENV_COLLECT_SOURCES, collect_sources),
        ):
            if value is not None:
                env[name] = str(value)
        if retry_failed:
            env[ENV_RETRY_FAILED] = "1"
        published = Path(
            _path(env.get(ENV_WAREHOUSE), PROJECT_ROOT / "warehouse" / "disclosure.duckdb")
        )
        return cls(
            raw_folder=_path(env.get(ENV_RAW), PROJECT_ROOT / "raw"),
            warehouse_file=str(published),
            build_database=_path(
                env.get(ENV_BUILD_DB), published.parent / "build" / published.name
            ),
            cache_database=_path(
                env.get(ENV_CACHE), published.parent / "cache" / "extractions.duckdb"
            ),
            shards_folder=_path(env.get(ENV_SHARDS), published.parent / "shards"),
            workers=int(env.get(ENV_WORKERS, "2")),
            max_file_mb=float(env.get(ENV_MAX_FILE_MB, "200")),
            max_text_mb=float(env.get(ENV_MAX_TEXT_MB, "5")),
            file_timeout=float(env.get(ENV_FILE_TIMEOUT, "300")),
            worker_memory_mb=float(env.get(ENV_WORKER_MEMORY_MB, "2048")),
            dbt_memory_mb=int(env.get(ENV_DBT_MEMORY_MB, "3072")),
            settle_seconds=float(env.get(ENV_SETTLE_SECONDS, "60")),
            sensor_retries=int(env.get(ENV_SENSOR_RETRIES, "3")),
            retry_failed=env.get(ENV_RETRY_FAILED, "") not in ("", "0"),
            full_refresh=full_refresh,
            schedule_cron=env.get(ENV_SCHEDULE_CRON, "0 3 * * *"),
            schedule_timezone=env.get(ENV_SCHEDULE_TIMEZONE, "Asia/Shanghai"),
            dagster_home=env.get("DAGSTER_HOME", ""),
            collect_sources=_path(env[ENV_COLLECT_SOURCES], Path())
            if env.get(ENV_COLLECT_SOURCES)
            else "",
            collect_contact=env.get(ENV_COLLECT_CONTACT) or COLLECT_CONTACT_PLACEHOLDER,
            collect_delay=float(env.get(ENV_COLLECT_DELAY, "1")),
            collect_timeout=float(env.get(ENV_COLLECT_TIMEOUT, "30")),
            collect_interval_hours=float(env.get(ENV_COLLECT_INTERVAL_HOURS, "24")),
        )

    # Typed views of the fields, for the code below the assets.
    @property
    def raw_dir(self) -> Path:
        return Path(self.raw_folder)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse_file)

    @property
    def build_db(self) -> Path:
        return Path(self.build_database)

    @property
    def cache_db(self) -> Path:
        return Path(self.cache_database)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_text_bytes(self) -> int:
        return int(self.max_text_mb * MB)

    @property
    def worker_memory_bytes(self) -> int:
        return int(self.worker_memory_mb * MB)

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artifacts (run_results.json, compiled SQL, logs) of the last build."""
        return self.build_db.parent / "dbt-target"

    @property
    def shards_dir(self) -> Path:
        """Where the partitions of landing/extractions write what they parsed
        (orchestration/ingest/shards.py), until a build stores it in the cache."""
        return Path(self.shards_folder or self.warehouse_path.parent / "shards")

    @property
    def files_parquet(self) -> Path:
        """Discovery's file list as Parquet, for the extraction partitions: they
        read it without opening the build database, which a build may hold."""
        return self.shards_dir / "files.parquet"

    @property
    def lock_path(self) -> Path:
        """The lock one build at a time holds (orchestration/lock.py)."""
        return self.build_db.with_name(self.build_db.name + ".lock")

    def dbt_vars(self) -> dict[str, str]:
        """What dbt's profiles.yml reads (`--vars`): the build database and
        DuckDB's memory limit."""
        return {"build_db": str(self.build_db), "memory_limit": f"{self.dbt_memory_mb}MB"}

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """The build database."""
        return connect(self.build_db, read_only=read_only)
