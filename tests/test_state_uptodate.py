"""The up-to-date check is honest: a published warehouse is up to date only
when it was built from what is there now, is byte for byte the file that was
published, and left no failure that a build tries again. Timeouts are cached
and tried again only with --retry-failed; unexpected errors every build.
The sensor retries those failures on an unchanged folder, a few times."""

import os
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from orchestration.automation import raw_folder_sensor
from orchestration.fingerprint import build_fingerprint, stale_reasons
from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import build_landing
from orchestration.ingest.files import discover, files_frame
from orchestration.ingest.landing import write_tables
from orchestration.publish import damage, publish_database, record_path
from orchestration.settings import ENV_SENSOR_RETRIES, ENV_SETTLE_SECONDS, Settings
from tests.test_state_standins import one_cell_report

pytestmark = pytest.mark.e2e

FILE_TIMEOUT = 5  # seconds: more than a worker takes to start


def write_old(path: Path, text: str) -> Path:
    """A file last changed an hour ago (settled, for the sensor)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


def landing(raw: Path, cache: Path, **kwargs):
    warnings: list[str] = []
    with ExtractionCache(cache) as c:
        result = build_landing(
            files_frame(discover(raw)),
            raw,
            c,
            one_cell_report,
            workers=1,
            batch_size=4,
            file_timeout=FILE_TIMEOUT,
            warn=warnings.append,
            **kwargs,
        )
    return result, [w.split(":")[0] for w in warnings]


@pytest.fixture(scope="module")
def failing(tmp_path_factory):
    """Three extraction runs over ok.txt, crash.txt, hang.txt: the first, a
    second as it is, a third with retry_failed."""
    root = tmp_path_factory.mktemp("failing")
    raw, cache = root / "raw", root / "cache.duckdb"
    write_old(raw / "ok.txt", "甲")
    write_old(raw / "crash.txt", "CRASH")
    write_old(raw / "hang.txt", "HANG")
    runs = [landing(raw, cache), landing(raw, cache), landing(raw, cache, retry_failed=True)]
    return {"raw": raw, "runs": runs}


def retries(result) -> dict[str, str]:
    return dict(result.frames["retries"].select("source_path", "retry").rows())


def test_a_timeout_is_cached_an_unexpected_error_is_not(failing):
    (first, warned_first), (second, warned_second), _ = failing["runs"]
    assert warned_first == ["crash.txt", "hang.txt"]
    assert retries(first) == {"crash.txt": "next_build", "hang.txt": "retry_failed"}
    assert warned_second == ["crash.txt"]  # the timeout was not parsed again ...
    assert sorted(second.frames["ingest_errors"]["source_path"]) == ["crash.txt", "hang.txt"]
    assert retries(second) == retries(first)  # ... and is still listed


def test_retry_failed_parses_a_timeout_again(failing):
    _, _, (third, warned) = failing["runs"]
    assert warned == ["crash.txt", "hang.txt"]
    assert retries(third)["hang.txt"] == "retry_failed"


@pytest.fixture
def env(tmp_path, settings_env):
    raw = tmp_path / "raw"
    write_old(raw / "ok.txt", "甲")
    with settings_env(raw, tmp_path / "wh" / "disclosure.duckdb"):
        yield Settings.from_env()


def publish_frames(settings: Settings, frames: dict[str, pl.DataFrame]) -> None:
    """Publish landing tables the way a build does, with the present fingerprint."""
    inputs = pl.DataFrame({"fingerprint": [build_fingerprint(settings)]})
    write_tables(settings.build_db, {**frames, "build_inputs": inputs})
    publish_database(settings.build_db, settings.warehouse_path)


def test_a_clean_warehouse_built_from_the_present_is_up_to_date(env, failing):
    clean = failing["runs"][0][0].frames
    publish_frames(env, {name: frame.clear() for name, frame in clean.items()})
    assert stale_reasons(env) == []


def test_files_to_retry_make_it_stale(env, failing):
    publish_frames(env, failing["runs"][0][0].frames)
    [reason] = stale_reasons(env)
    assert "1 file failed in a way every build tries again" in reason
    assert "1 file that timed out to try again" in stale_reasons(env, retry_failed=True)


def corrupt(path: Path) -> None:
    """Overwrite 4 KB in the middle of the file, as a bad block would."""
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(os.urandom(4096))


def test_a_damaged_warehouse_is_not_up_to_date(env, failing):
    publish_frames(
        env, {name: frame.clear() for name, frame in failing["runs"][0][0].frames.items()}
    )
    assert damage(env.build_db, env.warehouse_path) is None
    corrupt(env.warehouse_path)
    [reason] = stale_reasons(env)
    assert "no longer matches the checksum recorded when it was published" in reason
    record_path(env.build_db).unlink()
    assert "has no checksum recorded" in stale_reasons(env)[0]


@pytest.fixture
def sensor_env(env, monkeypatch):
    monkeypatch.setenv(ENV_SETTLE_SECONDS, "60")
    monkeypatch.setenv(ENV_SENSOR_RETRIES, "2")
    with dg.instance_for_test() as instance:
        yield env, instance


def ticks(instance, n: int) -> list:
    out, cursor = [], None
    for _ in range(n):
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"settings": Settings.from_env()}
        )
        out.append(raw_folder_sensor(context))
        cursor = context.cursor
    return out


def test_the_sensor_retries_failures_on_an_unchanged_folder_a_few_times(sensor_env, failing):
    env, instance = sensor_env
    publish_frames(env, failing["runs"][0][0].frames)
    first, retry1, retry2, rest = ticks(instance, 4)
    assert isinstance(first, dg.RunRequest)
    assert isinstance(retry1, dg.RunRequest) and retry1.tags["disclosure/retry"] == "1"
    assert isinstance(retry2, dg.RunRequest) and retry2.run_key != retry1.run_key
    assert isinstance(rest, dg.SkipReason) and "tried again 2 times" in rest.skip_message


def test_the_sensor_starts_nothing_more_when_nothing_failed(sensor_env, failing):
    env, instance = sensor_env
    publish_frames(
        env, {name: frame.clear() for name, frame in failing["runs"][0][0].frames.items()}
    )
    first, second = ticks(instance, 2)
    assert isinstance(first, dg.RunRequest) and isinstance(second, dg.SkipReason)
