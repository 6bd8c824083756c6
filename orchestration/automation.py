"""When `build_warehouse` runs by itself: a sensor on the raw folder and a daily schedule.

Both are off until switched on (in the UI's Automation page, or
`dagster sensor start raw_folder_sensor` / `dagster schedule start daily_build`),
and need the Dagster daemon: `dagster dev` runs one; in production run
`dagster-daemon run` (and `dagster-webserver` for the UI) with DAGSTER_HOME set.

- `raw_folder_sensor` lists the raw folder every minute (a stat per file, no
  reads: cheap on thousands of files) and reduces the listing of
  (path, size, mtime, ctime, inode) to a digest. When the digest differs
  from the one it last requested a build for (a file added, changed, renamed
  or deleted), it requests a run; the cursor keeps the digest, so an
  unchanged folder never gets a second run. It waits while a file changed
  less than DISCLOSURE_SETTLE_SECONDS ago (a copy still in progress) and
  while a build is queued or running (the change is picked up after it: the
  warehouse has one writer). On an unchanged folder it still starts a build
  when the published warehouse lists files to try again (an unexpected error,
  a worker that died, a file unreadable or changed while it was read), at most
  DISCLOSURE_SENSOR_RETRIES times in a row: a failure that recurs waits for
  the next change or the daily build instead of a build a minute.
- `daily_build` runs the whole job once a day (DISCLOSURE_SCHEDULE_CRON,
  default 03:00, in DISCLOSURE_SCHEDULE_TIMEZONE, default Asia/Shanghai):
  it picks up what the sensor does not watch (a new extractor version, an
  edited catalog or dbt model after a deploy); a build with nothing new
  reuses every cached extraction. It is skipped while a build is running.
"""

from __future__ import annotations

import time

import dagster as dg

from orchestration.fingerprint import pending_retries
from orchestration.ingest.files import listing, listing_digest
from orchestration.settings import Settings

BUILD_JOB = "build_warehouse"
SENSOR_INTERVAL_SECONDS = 60

_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def active_build(instance: dg.DagsterInstance) -> str | None:
    """The id of a build_warehouse run that is queued or running, if any."""
    runs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=BUILD_JOB, statuses=_ACTIVE), limit=1
    )
    return runs[0].dagster_run.run_id if runs else None


def _parse_cursor(cursor: str | None) -> tuple[int, str | None, int]:
    """The cursor is '<requests so far>:<digest last requested>:<retries of it>'."""
    if not cursor or ":" not in cursor:
        return 0, None, 0
    count, digest, *retries = cursor.split(":")
    return int(count), digest, int(retries[0]) if retries else 0


def _retry(context, settings: Settings, digest: str, requested: int, retried: int, skip: str):
    """A build for the failures of the last one, the folder unchanged, or why not."""
    pending = pending_retries(settings.warehouse_path)
    if not pending:
        return dg.SkipReason(skip)
    if retried >= settings.sensor_retries:
        return dg.SkipReason(
            f"{skip}; {pending} failed files were tried again {retried} times: they wait "
            "for the next change or the daily build"
        )
    running = active_build(context.instance)
    if running:
        return dg.SkipReason(f"{skip}; build {running} is queued or running")
    context.update_cursor(f"{requested + 1}:{digest}:{retried + 1}")
    context.log.info(f"{pending} files failed in the last build: trying them again")
    return dg.RunRequest(
        run_key=f"{digest}-{requested + 1}",
        tags={"disclosure/trigger": "raw_folder_sensor", "disclosure/retry": str(pending)},
    )


@dg.sensor(
    job_name=BUILD_JOB,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Starts build_warehouse when a file under the raw folder is added, changed or "
        "deleted (a digest of the (path, size, mtime, ctime, inode) listing; no file is "
        "read). Waits while files are still changing or a build is running. On an unchanged "
        "folder, starts a few builds to retry files whose failure every build retries."
    ),
)
def raw_folder_sensor(context: dg.SensorEvaluationContext, settings: Settings):
    if not settings.raw_dir.is_dir():
        return dg.SkipReason(f"raw folder {settings.raw_dir} does not exist")
    entries = listing(settings.raw_dir)
    digest = listing_digest(entries)
    requested, last, retried = _parse_cursor(context.cursor)
    if digest == last:
        unchanged = (
            f"{len(entries)} files, none added, changed or deleted since the last build request"
        )
        return _retry(context, settings, digest, requested, retried, unchanged)
    if entries and settings.settle_seconds > 0:
        path, _, mtime_ns, *_ = max(entries, key=lambda e: e[2])
        age = time.time() - mtime_ns / 1e9
        if age < settings.settle_seconds:
            return dg.SkipReason(
                f"{path} changed {max(age, 0):.0f} s ago: waiting until no file has changed "
                f"for {settings.settle_seconds:g} s"
            )
    running = active_build(context.instance)
    if running:
        return dg.SkipReason(f"build {running} is queued or running; the change waits for it")
    context.update_cursor(f"{requested + 1}:{digest}:0")
    context.log.info(f"{len(entries)} files under {settings.raw_dir}, listing digest {digest}")
    return dg.RunRequest(
        # Unique per request: a folder that returns to an earlier state (a file
        # moved out and back) is built again.
        run_key=f"{digest}-{requested + 1}",
        tags={"disclosure/trigger": "raw_folder_sensor", "disclosure/listing": digest},
    )


def daily_build(settings: Settings) -> dg.ScheduleDefinition:
    """The daily schedule, at the settings' cron and time zone."""

    @dg.schedule(
        name="daily_build",
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        job_name=BUILD_JOB,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(
            "Builds the warehouse once a day, whether or not raw files changed: picks up a "
            "new extractor version or dbt models after a deploy. Skipped while a build runs."
        ),
    )
    def schedule(context: dg.ScheduleEvaluationContext):
        running = active_build(context.instance)
        if running:
            return dg.SkipReason(f"build {running} is queued or running")
        when = context.scheduled_execution_time
        return dg.RunRequest(
            run_key=f"daily-{when:%Y-%m-%d}" if when else None,
            tags={"disclosure/trigger": "daily_build"},
        )

    return schedule
