"""The published warehouse: the build database copied atomically once every mart is built."""

from datetime import timedelta

import dagster as dg

from orchestration import progress, summary
from orchestration.assets.dbt import MART_KEYS
from orchestration.assets.metadata import table_preview
from orchestration.lock import BuildLock
from orchestration.pictures import metadata, write_report_page
from orchestration.publish import publish_database
from orchestration.settings import Settings


@dg.asset(
    key="published_warehouse",
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    # The daily build publishes once a day: a warehouse older than that is stale.
    freshness_policy=dg.FreshnessPolicy.time_window(
        warn_window=timedelta(hours=25), fail_window=timedelta(hours=49)
    ),
    description=(
        "The warehouse readers open: the build database copied next to the target, "
        "fsynced, checked, and moved over the old file with os.replace."
    ),
)
def published_warehouse(
    context: dg.AssetExecutionContext, settings: Settings, build_lock: BuildLock
) -> dg.MaterializeResult:
    progress.emit("stage", name="publish")
    # What is about to be published (read-only, closed before the copy).
    with settings.connect(read_only=True) as con:
        built = summary.counts(con)
        previews = summary.previews(con)
        errors = summary.ingest_errors(con)
    for path, stage, reason in errors:
        if stage == summary.DEDUPLICATE:
            context.log.warning(f"{path}: {stage}: {reason}")
    required = tuple(".".join(key.path) for key in MART_KEYS)
    counts = publish_database(settings.build_db, settings.warehouse_path, required)
    size = settings.warehouse_path.stat().st_size
    context.log.info(
        f"published {settings.warehouse_path} ({size} bytes): {built['reports']} reports, "
        f"{built['cells']} table cells, {built['issues']} issues, "
        f"{built['failed_files']} failed files, {built['duplicates']} duplicates"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse_path)),
            "size_bytes": size,
            **_pictures(context, settings),
            **built,
            **{f"preview/{name}": table_preview(frame) for name, frame in previews.items()},
            **{f"rows/{table}": n for table, n in counts.items()},
        }
    )


def _pictures(context: dg.AssetExecutionContext, settings: Settings) -> dict:
    """The charts page of the warehouse just published, and its key chart as
    an image the UI shows. The warehouse is published whatever happens here:
    a page that cannot be drawn is a warning, not a failed build."""
    try:
        page = write_report_page(settings.warehouse_path)
    except Exception as e:  # noqa: BLE001 - reported, the publish stands
        context.log.warning(f"the charts page could not be written: {type(e).__name__}: {e}")
        return {"report_page_error": f"{type(e).__name__}: {e}"}
    context.log.info(f"charts page written: {page.html}")
    return metadata(page)
