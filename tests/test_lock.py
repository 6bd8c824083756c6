"""One build at a time per warehouse: the build lock."""

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.lock import BuildLocked, build_lock
from orchestration.settings import Settings


@pytest.mark.unit
def test_a_second_holder_is_refused_with_the_first_named(tmp_path):
    path = tmp_path / "disclosure.duckdb.lock"
    refused = pytest.raises(BuildLocked, match=rf"another build is running .*pid {os.getpid()}")
    with build_lock(path), refused, build_lock(path):
        pass
    with build_lock(path):  # released
        pass


@pytest.mark.unit
def test_a_killed_holder_leaves_no_lock(tmp_path):
    path = tmp_path / "disclosure.duckdb.lock"
    code = (
        "import sys, time; from pathlib import Path; from orchestration.lock import build_lock\n"
        "with build_lock(Path(sys.argv[1])):\n"
        "    print('locked', flush=True); time.sleep(600)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(BuildLocked, match=f"pid {holder.pid}"), build_lock(path):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    time.sleep(0.1)
    with build_lock(path):
        pass


@pytest.fixture
def held(tmp_path, settings_env):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("报告", encoding="utf-8")
    with settings_env(raw, tmp_path / "wh" / "disclosure.duckdb"):
        lock = build_lock(Settings.from_env().lock_path)
        with lock:
            yield


@pytest.mark.unit
def test_the_cli_refuses_to_start_while_a_build_runs(held):
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "another build is running" in result.output and "Traceback" not in result.output


@pytest.mark.e2e
def test_every_run_of_the_job_takes_the_lock(held):
    """Runs launched from the UI, the sensor or the schedule hold it too."""
    from dagster import DagsterInstance

    from orchestration.definitions import make_definitions

    defs = make_definitions(Settings.from_env())  # as a code location loads them
    result = defs.resolve_job_def("build_warehouse").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    messages = [str(e.event_specific_data) for e in result.all_events if e.is_failure]
    assert any("another build is running" in m for m in messages), messages
