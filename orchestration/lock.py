"""One build at a time per build database.

DuckDB allows one writing process per file, and two builds would overwrite
each other's landing tables anyway. Every run of `build_warehouse` (from the
CLI, the UI, the sensor or the schedule) holds an exclusive lock on
`<build database>.lock` from its first step to its last, through the
`build_lock` resource; a second run fails at once with a message naming the
holder instead of failing half-way with a DuckDB lock error. The lock is an
flock: the system drops it when its process ends, so a killed build never
leaves it behind. dbt runs in the build's own process
(orchestration/dbt_in_process.py) and its step ends only once dbt has, so
nothing writes the build database after the lock is gone.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.settings import Settings


class BuildLocked(RuntimeError):
    """Another process is building into the same build database."""


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock at `path`, or raise BuildLocked at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise BuildLocked(
                f"another build is running into {path.with_suffix('')} ({holder}); "
                "wait for it to finish (one build at a time per warehouse)"
            ) from None
        try:
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            f.flush()
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


def check_unlocked(settings: Settings) -> None:
    """Raise BuildLocked if a build holds the lock now (takes and drops it)."""
    with build_lock(settings.lock_path):
        pass


class BuildLock(dg.ConfigurableResource):
    """Holds the build database's lock for the whole run: Dagster sets the
    resource up before the run's first step and tears it down after its last
    (every step runs in one process, the in-process executor), failed or not."""

    settings: Settings

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[BuildLock]:
        with build_lock(self.settings.lock_path):
            yield self
