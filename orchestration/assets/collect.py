"""Collecting reports from the websites the sources list names into the raw folder.

`collected_reports` walks each source (orchestration/collect) and downloads
what is new; the build that follows reads the raw folder as always. It runs
in its own job, `collect_reports`, started by `collect_sensor` (off until
switched on) or by hand; `disclosure collect` does the same from the CLI.
"""

import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import polars as pl

from orchestration.assets.metadata import table_preview
from orchestration.collect import (
    CollectOptions,
    CollectSummary,
    SourcesError,
    collect,
    load_sources,
    write_outcomes,
)
from orchestration.settings import Settings

COLLECT_JOB = "collect_reports"
SENSOR_INTERVAL_SECONDS = 15 * 60


def run_collection(settings: Settings, log, only: str | None = None) -> CollectSummary:
    """Collect every source of the settings' sources file (or only `only`), log
    what happens, and keep each source's outcome beside its files."""
    sources = load_sources(Path(settings.collect_sources))
    if only is not None:
        sources = [s for s in sources if s.name == only]
        if not sources:
            raise SourcesError(f"{settings.collect_sources}: no source named {only!r}")

    def on_event(kind: str, fields: dict) -> None:
        if kind == "source_done":
            log.info(f"{fields['summary'].name}: {fields['summary'].row()}")
        elif kind in ("failed", "skipped"):
            log.warning(f"{kind}: {fields.get('url')}: {fields.get('reason')}")
        elif kind == "file":
            log.info(f"{fields.get('outcome')}: {fields.get('path')} <- {fields.get('url')}")

    summary = collect(
        sources, settings.raw_dir, CollectOptions.from_settings(settings), on_event=on_event
    )
    write_outcomes(settings.raw_dir, summary)
    return summary


@dg.asset(
    key="collected_reports",
    group_name="collect",
    kinds={"python"},
    description=(
        "Walks the listing pages of every source in the sources file "
        "(DISCLOSURE_COLLECT_SOURCES), finds the annual reports and their attachments, and "
        "downloads what is new into <raw>/<source>/, with a manifest of each file's URL, "
        "referring page, HTTP validators and SHA-256. Polite: robots.txt, one request at a "
        "time per host, conditional GETs. A site that fails does not stop the others."
    ),
)
def collected_reports(context: dg.AssetExecutionContext, settings: Settings):
    if not settings.collect_sources:
        raise dg.Failure("no sources file: set DISCLOSURE_COLLECT_SOURCES to a CSV of sources")
    try:
        summary = run_collection(settings, context.log)
    except SourcesError as e:
        raise dg.Failure(str(e)) from None
    sources = pl.DataFrame(summary.source_rows()).with_columns(pl.all().cast(pl.Utf8))
    failures = summary.rows()
    return dg.MaterializeResult(
        metadata={
            "sources": len(summary.sources),
            "new_files": len(summary.new_files),
            "changed_files": len(summary.changed_files),
            "unchanged_files": len(summary.unchanged_files),
            "failed": summary.failed,
            "per_source": table_preview(sources, rows=100),
            "failures": table_preview(pl.DataFrame(failures), rows=100)
            if failures
            else dg.MetadataValue.md("_(none)_"),
        }
    )


collect_job = dg.define_asset_job(
    COLLECT_JOB,
    selection=[dg.AssetKey("collected_reports")],
    description="Collect reports from the sources' websites into the raw folder.",
)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


@dg.sensor(
    job_name=COLLECT_JOB,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Starts collect_reports when the sources file changed, and otherwise once every "
        "DISCLOSURE_COLLECT_INTERVAL_HOURS (default 24); never while a collection runs. "
        "The raw-folder sensor then builds what was collected."
    ),
)
def collect_sensor(context: dg.SensorEvaluationContext, settings: Settings):
    if not settings.collect_sources:
        return dg.SkipReason("no sources file (DISCLOSURE_COLLECT_SOURCES)")
    path = Path(settings.collect_sources)
    if not path.is_file():
        return dg.SkipReason(f"the sources file {path} does not exist")
    state = json.loads(context.cursor) if context.cursor else {}
    digest, now = _digest(path), time.time()
    due = now - state.get("last", 0) >= settings.collect_interval_hours * 3600
    if digest == state.get("digest") and not due:
        return dg.SkipReason("the sources file is unchanged and the last collection is recent")
    running = context.instance.get_run_records(
        filters=dg.RunsFilter(
            job_name=COLLECT_JOB,
            statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTED],
        ),
        limit=1,
    )
    if running:
        return dg.SkipReason("a collection is queued or running")
    context.update_cursor(json.dumps({"digest": digest, "last": now}))
    return dg.RunRequest(
        run_key=f"collect-{digest}-{int(now)}", tags={"disclosure/trigger": "collect_sensor"}
    )
