"""Python assets that fill the `landing` schema of the build database."""

import dagster as dg
import polars as pl

from orchestration import extract
from orchestration.extract.model import LANDING_SCHEMAS
from orchestration.ingest.cache import ExtractionCache, extraction_version
from orchestration.ingest.extraction import build_landing
from orchestration.ingest.files import discover, files_frame
from orchestration.ingest.landing import read_table, write_tables
from orchestration.settings import Settings

GROUP = "landing"
FILES_KEY = dg.AssetKey(["landing", "files"])
LANDING_TABLES = (*LANDING_SCHEMAS, "ingest_errors")


def markdown_preview(frame: pl.DataFrame, columns: list[str], rows: int = 10) -> dg.MetadataValue:
    """The first rows of a frame as a markdown table."""
    head = frame.select([c for c in columns if c in frame.columns]).head(rows)
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=rows,
        tbl_cols=len(columns),
        fmt_str_lengths=60,
    ):
        return dg.MetadataValue.md(str(head) if head.height else "_(no rows)_")


@dg.asset(
    key=FILES_KEY,
    group_name=GROUP,
    kinds={"python", "duckdb"},
    description=(
        "Every file under the raw folder (recursively, hidden files skipped) with its "
        "SHA-256, size, and format detected from content and extension."
    ),
)
def raw_report_files(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    frame = files_frame(discover(settings.raw_dir))
    write_tables(settings.build_db, {"files": frame})
    by_format = {fmt: n for fmt, n in frame.group_by("source_format").len().iter_rows()}
    context.log.info(f"{frame.height} files under {settings.raw_dir}: {by_format}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "raw_dir": str(settings.raw_dir),
            "by_format": by_format,
            "not_extractable": frame.filter(pl.col("status") != "ok").height,
            "total_bytes": int(frame["size_bytes"].sum()),
            "preview": markdown_preview(frame, list(frame.columns)),
        }
    )


@dg.multi_asset(
    name="landing_extraction",
    group_name=GROUP,
    specs=[
        dg.AssetSpec(
            ["landing", name],
            deps=[FILES_KEY],
            kinds={"python", "duckdb"},
            description=description,
        )
        for name, description in {
            "reports": "One row per extracted file: template and identity of the report.",
            "cells": "Every statistics-table cell found, catalogued or not.",
            "extraction_issues": "Problems met while extracting a loaded file.",
            "narrative_figures": "Numbers quoted in the prose of the reports.",
            "ingest_errors": "Files that could not be loaded at all, with stage and reason.",
        }.items()
    ],
    description=(
        "Runs the extractor on every file whose content (sha256, extractor version) is not "
        "in the extraction cache, in parallel worker processes, then writes all landing "
        "tables for the current file list in one transaction."
    ),
)
def landing_extraction(context: dg.AssetExecutionContext):
    settings = Settings.from_env()
    files = read_table(settings.build_db, "files")
    with ExtractionCache(settings.cache_db) as cache:
        result = build_landing(
            files,
            settings.raw_dir,
            cache,
            extract.extract_file,
            workers=settings.workers,
            batch_size=settings.batch_size,
            log=context.log.info,
        )
    frames = result.frames
    write_tables(settings.build_db, frames)

    counts = {
        "files": files.height,
        "parsed_now": result.parsed_now,
        "reused_from_cache": result.reused,
        "failed": result.failed,
        "reports": frames["reports"].height,
        "cells": frames["cells"].height,
        "issues": frames["extraction_issues"].height,
    }
    context.log.info(f"landing tables written: {counts}")
    previews = {
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
        "ingest_errors": ["source_path", "stage", "reason"],
    }
    for name in LANDING_TABLES:
        yield dg.MaterializeResult(
            asset_key=["landing", name],
            metadata={
                "dagster/row_count": frames[name].height,
                "extractor_version": extraction_version(),
                **(counts if name == "reports" else {}),
                "preview": markdown_preview(frames[name], previews[name]),
            },
        )
