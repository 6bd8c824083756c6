"""Python assets that fill the `landing` schema of the build database."""

import warnings
from pathlib import Path

import dagster as dg
import polars as pl

from orchestration import extract, progress
from orchestration.assets.metadata import column_schema, table_preview
from orchestration.collect import landing_frames
from orchestration.extract.model import LANDING_SCHEMAS
from orchestration.fingerprint import build_fingerprint
from orchestration.ingest import shards
from orchestration.ingest.cache import (
    ExtractionCache,
    extraction_version,
    run_with_cache,
    set_aside_if_damaged,
)
from orchestration.ingest.extraction import FromBytes, build_landing
from orchestration.ingest.files import Limits, discover, files_frame, listing, listing_digest
from orchestration.ingest.landing import (
    read_table,
    remove_if_other_format,
    write_parquet,
    write_tables,
)
from orchestration.lock import BuildLock
from orchestration.settings import Settings

GROUP = "landing"
RAW_FOLDER_KEY = dg.AssetKey("raw_folder")
FILES_KEY = dg.AssetKey(["landing", "files"])
LANDING_TABLES = (*LANDING_SCHEMAS, "ingest_errors")


def _set_aside_logger(context: dg.AssetExecutionContext, what: str, moved: list[str]):
    """Tells the run log (and the asset's metadata, `moved`) where a damaged file went."""

    def set_aside(path: Path, error: Exception) -> None:
        moved.append(str(path))
        context.log.warning(
            f"the {what} could not be read as a database ({error}); it was set aside as "
            f"{path} and a new one started"
        )

    return set_aside


def observe_raw_folder(settings: Settings) -> dg.ObserveResult:
    entries = listing(settings.raw_dir) if settings.raw_dir.is_dir() else []
    return dg.ObserveResult(
        data_version=dg.DataVersion(listing_digest(entries)),
        metadata={
            "path": dg.MetadataValue.path(str(settings.raw_dir)),
            "files": len(entries),
            "total_bytes": sum(max(e[1], 0) for e in entries),
        },
    )


with warnings.catch_warnings():  # a beta API of Dagster; the warning is not for users
    warnings.simplefilter("ignore", dg.BetaWarning)
    raw_folder = dg.observable_source_asset(
        key=RAW_FOLDER_KEY,
        group_name=GROUP,
        description=(
            "The folder of raw reports (PDF, DOCX, HTML, text), as Dagster observes it: its "
            "data version is the digest of the (path, size, mtime, ctime, inode) listing, so "
            "the UI shows when it changed; no file is read. raw_folder_sensor watches the "
            "same digest."
        ),
    )(observe_raw_folder)


@dg.asset(
    key=FILES_KEY,
    deps=[RAW_FOLDER_KEY],
    group_name=GROUP,
    kinds={"python", "duckdb"},
    description=(
        "Every file under the raw folder (recursively, hidden files skipped) with its "
        "SHA-256, size, and format detected from content and extension (SHA-256 read again "
        "only for files whose size, mtime or ctime changed)."
    ),
)
def raw_report_files(
    context: dg.AssetExecutionContext, settings: Settings, build_lock: BuildLock
) -> dg.MaterializeResult:
    progress.emit("stage", name="discover")
    # Taken before reading the folder: a file changed during the build makes it stale.
    inputs = pl.DataFrame({"fingerprint": [build_fingerprint(settings)]})
    limits = Limits(settings.max_file_bytes, settings.max_text_bytes)
    set_aside: list[str] = []

    def discover_with(cache: ExtractionCache):
        found = discover(settings.raw_dir, limits, known_hashes=cache.file_hashes())
        cache.remember_file_hashes(found)
        return found

    found = run_with_cache(
        settings.cache_db,
        discover_with,
        _set_aside_logger(context, "extraction cache", set_aside),
    )
    frame = files_frame(found)
    # The build database is rebuilt whole by every run: a damaged one is only in the way.
    set_aside_if_damaged(settings.build_db, _set_aside_logger(context, "build database", set_aside))
    old_format = remove_if_other_format(settings.build_db)
    if old_format:
        context.log.info(f"build database in storage format {old_format}: started anew")
    write_tables(
        settings.build_db,
        {
            "files": frame,
            "build_inputs": inputs,
            # Where collected files came from, and what the last collections missed.
            **landing_frames(settings.raw_dir),
        },
    )
    write_parquet(frame, settings.files_parquet)
    by_format = {fmt: n for fmt, n in frame.group_by("source_format").len().iter_rows()}
    context.log.info(f"{frame.height} files under {settings.raw_dir}: {by_format}")
    for path, reason in (
        frame.filter(pl.col("status") != "ok").select("source_path", "reason").rows()
    ):
        context.log.warning(f"{path}: discover: {reason}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "dagster/column_schema": column_schema(frame),
            "raw_dir": str(settings.raw_dir),
            "by_format": by_format,
            "not_extractable": frame.filter(pl.col("status") != "ok").height,
            "total_bytes": int(frame["size_bytes"].sum()),
            "set_aside": set_aside,  # damaged cache or build database files moved away
            "preview": table_preview(frame, list(frame.columns)),
        }
    )


@dg.multi_asset(
    name="landing_extraction",
    group_name=GROUP,
    specs=[
        dg.AssetSpec(
            ["landing", name],
            # landing/extractions: the shards its partitions parsed, if any.
            deps=[FILES_KEY, dg.AssetKey(["landing", "extractions"])],
            kinds={"python", "duckdb"},
            description=description,
        )
        for name, description in {
            "reports": "One row per extracted file: template and identity of the report.",
            "cells": "Every statistics-table cell found, catalogued or not.",
            "extraction_issues": "Problems met while extracting a loaded file.",
            "narrative_figures": "Numbers quoted in the prose of the reports.",
            "ingest_errors": "Files that could not be loaded at all, with stage, code and reason.",
        }.items()
    ],
    description=(
        "Stores the shards the landing/extractions partitions parsed in the extraction "
        "cache, runs the extractor on every file whose content (sha256, extractor version) "
        "is still not there, in parallel worker processes, then writes all landing "
        "tables for the current file list in one transaction."
    ),
)
def landing_extraction(
    context: dg.AssetExecutionContext, settings: Settings, build_lock: BuildLock
):
    files = read_table(settings.build_db, "files")
    set_aside: list[str] = []

    def extract_with(cache: ExtractionCache):
        # What the extraction partitions parsed meanwhile, into the cache first.
        absorbed = [n for _, n in shards.absorb(cache, settings.shards_dir)]
        if absorbed:
            context.log.info(
                f"{sum(absorbed)} contents from {len(absorbed)} shards of landing/extractions "
                "stored in the extraction cache"
            )
        return build_landing(
            files,
            settings.raw_dir,
            cache,
            # Handed the bytes it hashed, so it parses exactly the content it caches under.
            FromBytes(extract.extract_bytes),
            workers=settings.workers,
            batch_size=settings.batch_size,
            log=context.log.info,
            warn=context.log.warning,
            file_timeout=settings.file_timeout,
            memory_limit=settings.worker_memory_bytes,
            retry_failed=settings.retry_failed,
        )

    result = run_with_cache(
        settings.cache_db, extract_with, _set_aside_logger(context, "extraction cache", set_aside)
    )
    frames = result.frames
    write_tables(settings.build_db, frames)
    counts = _run_counts(files, result, set_aside)
    context.log.info(f"landing tables written: {counts}")
    for name in LANDING_TABLES:
        about_run = {**counts, "parsed_files": _listed(result.parsed_paths)}
        yield dg.MaterializeResult(
            asset_key=["landing", name],
            metadata={
                "dagster/row_count": frames[name].height,
                "dagster/column_schema": column_schema(frames[name]),
                "extractor_version": extraction_version(),
                **(about_run if name == "reports" else {}),
                "preview": table_preview(frames[name], PREVIEW_COLUMNS[name]),
            },
        )


# The columns of each landing table its preview shows.
PREVIEW_COLUMNS = {
    "reports": ["source_path", "template", "report_year", "organization", "region_name"],
    "cells": [
        "report_id",
        "section",
        "row_label",
        "indicator_code",
        "applicant_type",
        "value_text",
    ],
    "extraction_issues": ["source_path", "stage", "reason", "source_locator"],
    "narrative_figures": ["report_id", "number_text", "unit", "indicator_code", "sentence"],
    "ingest_errors": ["source_path", "stage", "code", "reason"],
}


def _run_counts(files: pl.DataFrame, result, set_aside: list[str]) -> dict:
    frames = result.frames
    return {
        "files": files.height,
        "parsed_now": result.parsed_now,
        "reused_from_cache": result.reused,
        "failed": result.failed,
        "reports": frames["reports"].height,
        "cells": frames["cells"].height,
        "issues": frames["extraction_issues"].height,
        # Failures a build tries again: every build, or with --retry-failed (timeouts).
        "retry_next_build": frames["retries"].filter(pl.col("retry") == "next_build").height,
        "timed_out": frames["retries"].filter(pl.col("retry") == "retry_failed").height,
        "set_aside": set_aside,
    }


def _listed(paths: list[str], limit: int = 50) -> dg.MetadataValue:
    """The files parsed in this run, as a markdown list."""
    lines = [f"- `{p}`" for p in paths[:limit]]
    if len(paths) > limit:
        lines.append(f"- … and {len(paths) - limit} more")
    return dg.MetadataValue.md("\n".join(lines) or "_(none: all cached)_")
