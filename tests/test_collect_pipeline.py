"""The collector inside the pipeline: its sensor, and what a build makes of a collected folder."""

import json

import dagster as dg
import pytest

from orchestration.assets.collect import collect_sensor
from orchestration.settings import ENV_COLLECT_SOURCES, ENV_RAW, Settings

pytestmark = pytest.mark.unit


def _tick(instance, settings, cursor=None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"settings": settings}
    )
    return collect_sensor(context), context.cursor


def test_the_sensor_collects_when_the_sources_change_or_are_due(tmp_path):
    sources = tmp_path / "sources.csv"
    with dg.instance_for_test() as instance:
        unset = Settings.from_env({ENV_RAW: str(tmp_path / "raw")})
        assert "no sources file" in _tick(instance, unset)[0].skip_message

        settings = Settings.from_env(
            {ENV_RAW: str(tmp_path / "raw"), ENV_COLLECT_SOURCES: str(sources)}
        )
        assert "does not exist" in _tick(instance, settings)[0].skip_message

        sources.write_text("name,listing_url\n甲,http://127.0.0.1:9/index.html\n")
        first, cursor = _tick(instance, settings)
        assert isinstance(first, dg.RunRequest)
        again, same = _tick(instance, settings, cursor)
        assert isinstance(again, dg.SkipReason) and same == cursor

        sources.write_text("name,listing_url\n乙,http://127.0.0.1:9/index.html\n")
        changed, cursor = _tick(instance, settings, cursor)
        assert isinstance(changed, dg.RunRequest)

        # Due again once the interval has passed, the file unchanged.
        state = json.loads(cursor)
        old = json.dumps({**state, "last": state["last"] - settings.collect_interval_hours * 3600})
        assert isinstance(_tick(instance, settings, old)[0], dg.RunRequest)


def test_the_sensor_and_job_are_in_the_definitions_and_off_by_default():
    from orchestration.definitions import defs

    sensor = defs.resolve_sensor_def("collect_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.job_name == "collect_reports"
    build = defs.resolve_job_def("build_warehouse")
    assert (
        dg.AssetKey("collected_reports") not in build.asset_layer.asset_graph.get_all_asset_keys()
    )
