"""What bounds a build's child processes: dbt ends with a build killed
outright, and holds the build lock until it has.

The kill test runs a real build in another process.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_ROOT

# --- a build killed outright ---


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, start time) of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                raw = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = raw.rsplit(")", 1)[1].split()
            table[int(entry)] = (int(fields[1]), int(fields[19]))
    return table


def descendants(root: int) -> dict[int, int]:
    """pid -> start time of every process under `root`."""
    table, found, frontier = _proc_table(), {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, start) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = start
                frontier.append(pid)
    return found


def survivors(processes: dict[int, int]) -> list[str]:
    """Command lines of those of `processes` still running (same start time)."""
    left = []
    for pid, start in processes.items():
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        if int(fields[19]) == start and fields[0] != "Z":
            left.append(f"{pid}: {cmd[:100]}")
    return left


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def build_dirs(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for seed in sorted((PROJECT_ROOT / "raw").iterdir())[:2]:
        shutil.copy(seed, raw)
    return raw, tmp_path / "wh" / "disclosure.duckdb"


def start_build(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")}
    return subprocess.Popen(
        argv,
        cwd=PROJECT_ROOT,
        env=clean | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_and_expect_no_survivors(build: subprocess.Popen) -> None:
    tree = descendants(build.pid)
    build.send_signal(signal.SIGKILL)
    build.wait()
    try:
        wait_until(lambda: not survivors(tree), 5, "the build's children to end")
    except AssertionError:
        left = survivors(tree)
        for line in left:
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
        pytest.fail(f"alive 5 s after the build was killed: {left}")


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_build_leaves_no_dbt_writing_outside_the_lock(build_dirs):
    raw, warehouse = build_dirs
    cli = str(Path(sys.executable).parent / "disclosure")
    build = start_build([cli, "build", "--raw", str(raw), "--warehouse", str(warehouse)])
    lock = warehouse.parent / "build" / "disclosure.duckdb.lock"

    def dbt() -> int | None:
        for pid in descendants(build.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(part.endswith(b"dbt") for part in cmd) and b"build" in cmd:
                return pid
        return None

    try:
        pid = wait_until(dbt, 180, "dbt to start")
        files = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        kill_and_expect_no_survivors(build)
        # dbt holds the build lock itself: it is not released before dbt ends.
        assert str(lock) in files
    finally:
        build.kill()
        build.wait()
