"""The raw-folder sensor and the daily schedule, evaluated with Dagster's test contexts."""

import os
import time
from datetime import UTC, datetime

import dagster as dg
import pytest

from orchestration.automation import BUILD_JOB, daily_build, raw_folder_sensor
from orchestration.definitions import defs
from orchestration.settings import ENV_RAW, ENV_SETTLE_SECONDS, Settings

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def instance():
    """One test instance for the module (a new one per test costs seconds); a
    test that adds a run deletes it (see `running_build`)."""
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def running_build(instance):
    run = instance.add_run(dg.DagsterRun(job_name=BUILD_JOB, status=dg.DagsterRunStatus.STARTED))
    yield run
    instance.delete_run(run.run_id)


@pytest.fixture
def raw(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a.txt", "b.txt"):
        write_old(raw / name, f"{name} 报告")
    monkeypatch.setenv(ENV_RAW, str(raw))
    monkeypatch.setenv(ENV_SETTLE_SECONDS, "60")
    return raw


def write_old(path, text, age=3600):
    """Write a file whose mtime lies `age` seconds back (settled)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    past = time.time() - age
    os.utime(path, (past, past))


def tick(instance, cursor=None):
    """Evaluate the sensor once; returns (run requests, skip reason, new cursor)."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"settings": Settings.from_env()}
    )
    result = raw_folder_sensor(context)
    if isinstance(result, dg.SkipReason):
        return [], result.skip_message, context.cursor
    return [result], None, context.cursor


def test_sensor_and_schedule_are_in_the_definitions_and_off_by_default():
    sensor = defs.resolve_sensor_def("raw_folder_sensor")
    schedule = defs.resolve_schedule_def("daily_build")
    assert sensor.job_name == schedule.job_name == BUILD_JOB
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 3 * * *"
    assert sensor.minimum_interval_seconds == 60


def test_first_tick_requests_a_build_the_second_does_not(raw, instance):
    requests, _, cursor = tick(instance)
    assert len(requests) == 1 and requests[0].run_key
    again, skip, same_cursor = tick(instance, cursor)
    assert again == [] and "none added, changed or deleted" in skip
    assert same_cursor == cursor


@pytest.mark.parametrize("change", ["add", "modify", "delete", "rename"])
def test_a_change_requests_a_new_build(raw, instance, change):
    [first], _, cursor = tick(instance)
    if change == "add":
        write_old(raw / "sub" / "c.txt", "新报告")
    elif change == "modify":
        write_old(raw / "a.txt", "a.txt 报告 修订版", age=1800)
    elif change == "delete":
        (raw / "b.txt").unlink()
    else:
        (raw / "b.txt").rename(raw / "b2.txt")
    [second], _, new_cursor = tick(instance, cursor)
    assert second.run_key != first.run_key and new_cursor != cursor
    assert tick(instance, new_cursor)[0] == []  # and only once


def test_hidden_files_do_not_trigger_a_build(raw, instance):
    _, _, cursor = tick(instance)
    write_old(raw / ".DS_Store", "x")
    write_old(raw / "~$lock.docx", "x")
    assert tick(instance, cursor)[0] == []


def test_a_folder_back_in_an_earlier_state_is_built_again(raw, instance):
    [first], _, cursor = tick(instance)
    moved = raw.parent / "b.txt"
    (raw / "b.txt").rename(moved)
    [_], _, cursor = tick(instance, cursor)
    moved.rename(raw / "b.txt")  # same path, size and mtime as at the first tick
    [third], _, _ = tick(instance, cursor)
    assert third.run_key != first.run_key  # a new run, not deduplicated by Dagster


def test_sensor_waits_while_files_are_still_being_written(raw, instance):
    _, _, cursor = tick(instance)
    (raw / "copying.pdf").write_bytes(b"%PDF-1.7 ...")  # modified just now
    requests, skip, same = tick(instance, cursor)
    assert requests == [] and "copying.pdf changed" in skip and same == cursor
    past = time.time() - 120
    os.utime(raw / "copying.pdf", (past, past))
    assert len(tick(instance, cursor)[0]) == 1


def test_sensor_waits_while_a_build_is_running(raw, instance, running_build):
    requests, skip, cursor = tick(instance)
    assert requests == [] and "queued or running" in skip and cursor is None
    assert running_build.run_id in skip


def test_sensor_skips_a_missing_folder(tmp_path, monkeypatch, instance):
    monkeypatch.setenv(ENV_RAW, str(tmp_path / "nope"))
    requests, skip, _ = tick(instance)
    assert requests == [] and "does not exist" in skip


def test_sensor_reads_no_file(raw, instance, monkeypatch):
    from orchestration.ingest import files

    def no_reads(*_args, **_kwargs):
        raise AssertionError("the sensor must not read or hash files")

    monkeypatch.setattr(files, "sha256_of", no_reads)
    monkeypatch.setattr(files, "detect_format", no_reads)
    assert len(tick(instance)[0]) == 1


def test_daily_schedule_requests_one_build_per_day(instance):
    when = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    request = daily_build(Settings.from_env())(context)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == "daily-2026-04-01"
    assert request.tags["disclosure/trigger"] == "daily_build"


def test_daily_schedule_skips_while_a_build_is_running(instance, running_build):
    context = dg.build_schedule_context(instance=instance)
    assert isinstance(daily_build(Settings.from_env())(context), dg.SkipReason)
