"""An edit that keeps a file's size and mtime (`cp -p`, `touch -r`, a tool
that restores the timestamp) changes the build fingerprint and the sensor's
listing digest: ctime and inode are part of both."""

import os
import shutil

import dagster as dg
import pytest

from orchestration.automation import raw_folder_sensor
from orchestration.fingerprint import build_fingerprint
from orchestration.settings import ENV_RAW, ENV_SETTLE_SECONDS, Settings

pytestmark = pytest.mark.unit


def write_same_size_and_mtime(path, text):
    """Rewrite `path` with `text` (as long as before) and put its mtime back."""
    before = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def copy_keeping_times(text, target):
    """`cp -p` from outside the folder onto a file of the same size and mtime."""
    st = target.stat()
    source = target.parent.parent / "elsewhere.txt"
    source.write_text(text, encoding="utf-8")
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    shutil.copy2(source, target)
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


@pytest.fixture
def raw(tmp_path, settings_env):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, text in (("a.txt", "甲 10"), ("b.txt", "乙 20")):
        path = raw / name
        path.write_text(text, encoding="utf-8")
        old = path.stat().st_mtime_ns - 3600 * 10**9
        os.utime(path, ns=(old, old))
    with settings_env(raw, tmp_path / "wh" / "disclosure.duckdb"):
        yield raw


@pytest.mark.parametrize(
    "edit",
    [
        lambda raw: write_same_size_and_mtime(raw / "a.txt", "甲 99"),
        lambda raw: copy_keeping_times("丙 30", raw / "a.txt"),
    ],
    ids=["rewrite-and-utime", "cp-p"],
)
def test_an_edit_keeping_size_and_mtime_changes_the_fingerprint(raw, edit):
    before = build_fingerprint(Settings.from_env())
    edit(raw)
    assert build_fingerprint(Settings.from_env()) != before


def test_the_sensor_requests_a_build_for_it(raw, monkeypatch):
    monkeypatch.setenv(ENV_RAW, str(raw))
    monkeypatch.setenv(ENV_SETTLE_SECONDS, "60")
    with dg.instance_for_test() as instance:
        resources = {"settings": Settings.from_env()}
        first = dg.build_sensor_context(instance=instance, resources=resources)
        assert isinstance(raw_folder_sensor(first), dg.RunRequest)
        write_same_size_and_mtime(raw / "a.txt", "甲 99")
        second = dg.build_sensor_context(
            instance=instance, cursor=first.cursor, resources=resources
        )
        assert isinstance(raw_folder_sensor(second), dg.RunRequest)
