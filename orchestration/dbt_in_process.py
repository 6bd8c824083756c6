"""dbt commands run in this process instead of a new dbt interpreter each time.

dagster-dbt's `DbtCliResource` starts the dbt CLI as a child process and turns
the JSON log lines of its stdout into Dagster events. Every start costs
seconds (a new Python, dbt's imports and their code generation, `dbt
--version` first) that each build pays again, while the process running the
asset has imported dbt already. `DbtInProcess` is what dagster-dbt's
`DbtCliInvocation.run` gets instead of `subprocess.Popen`
(`InProcessDbtCliResource.cli`): it runs the same command with dbt's
programmatic entry point (`dbtRunner`) on a thread, and its `stdout` yields
the very lines the CLI prints: dbt's own console logger writes them to that
stream instead of to this process's stdout (where dagster-dbt prints them
again), so dagster-dbt makes the same Outputs, checks and metadata. The exit
code is the CLI's: 0, 1 when a node failed, 2 on an error.

dbt's state is process-wide (flags, the adapter factory, the event logger,
dbt-duckdb's one environment per process), so one command runs at a time.
After each, dbt-duckdb's DuckDB connection is closed: the build database is
free for the asset to open (DuckDB refuses a second connection to a file
with another configuration in one process), and for the next command. dbt
runs in this process, so it ends with it and under the locks it holds: a
build killed outright leaves no dbt behind.
"""

import ctypes
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_dbt.core import dbt_cli_invocation
from dbt.adapters import factory
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult
from dbt.events.types import MainEncounteredError
from dbt_common.events import functions as dbt_events
from dbt_common.events.base_types import EventMsg, msg_from_base_event
from dbt_common.events.event_manager_client import cleanup_event_logger
from packaging import version

from orchestration.settings import process_environment

# dbt's state is the process's: one command at a time.
_ONE_AT_A_TIME = threading.Lock()
# What the exit code of the CLI is for a dbtRunnerResult (dbt.cli.exceptions).
SUCCESS, NODE_FAILED, ERROR = 0, 1, 2


class _Lines:
    """dbt's console stream: a text stream its logger writes to, read as the
    byte lines of a child's stdout pipe until the command has ended."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._partial = ""
        self._write_lock = threading.Lock()
        self.closed = False  # the reading end, as a pipe's file object

    # The writing end (a logging.StreamHandler's stream).
    def write(self, text: str) -> int:
        with self._write_lock:
            *lines, self._partial = (self._partial + text).split("\n")
            for line in lines:
                self._queue.put((line + "\n").encode())
        return len(text)

    def flush(self) -> None:
        pass

    def end(self) -> None:
        with self._write_lock:
            if self._partial:
                self._queue.put(self._partial.encode())
                self._partial = ""
            self._queue.put(None)

    # The reading end.
    def __iter__(self) -> Iterator[bytes]:
        while not self.closed and (line := self._queue.get()) is not None:
            yield line
        self.closed = True

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "_Lines":
        return self

    def __exit__(self, *_) -> None:
        self.close()


class DbtInProcess:
    """The part of subprocess.Popen that dagster-dbt and the dbt asset use, for
    a dbt command run in this process: `args` (args[0] is the dbt
    executable), `env` (the child's whole environment) and `cwd` as Popen
    takes them; the output is stdout and stderr in one, as dagster-dbt asks."""

    def __init__(
        self, args: Sequence[str], env: Mapping[str, str], cwd: str | os.PathLike, **_: Any
    ) -> None:
        self.args = list(args)
        self.pid = os.getpid()
        self.returncode: int | None = None
        self.stdout = _Lines()
        self._env = _environment(env, Path(cwd))
        self._state = threading.Lock()  # guards _running and _stopped
        self._running = False  # dbt is inside dbtRunner.invoke
        self._stopped = False
        # Daemon: the step waits for it (orchestration/assets/dbt.py), a process
        # that ends anyway does not.
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        code = ERROR
        try:
            with _ONE_AT_A_TIME, process_environment(self._env), _console_to(self.stdout):
                code = self._invoke()
        except BaseException as e:  # a stop that came as dbt returned, or a failure here
            self._error(e)
        finally:
            self.returncode = code
            self.stdout.end()

    def _invoke(self) -> int:
        """The command's exit code. dbt reports an error it catches as a
        MainEncounteredError line; one it never got to (a bad option) gets
        the same line here, so that its message reaches the step's failure."""
        reported = threading.Event()

        def note(msg: EventMsg) -> None:
            if msg.info.name == "MainEncounteredError":
                reported.set()

        result: dbtRunnerResult | None = None
        try:
            with self._state:
                if self._stopped:
                    raise KeyboardInterrupt
                self._running = True
            try:
                result = dbtRunner(callbacks=[note]).invoke(self.args[1:])
            finally:
                with self._state:
                    self._running = False
                    _stop_thread(threading.get_ident(), None)  # a stop that came too late
        finally:
            _release_dbt()
        if result.success:
            return SUCCESS
        if result.exception is None:
            return NODE_FAILED
        if not reported.is_set():
            self._error(result.exception)
        return ERROR

    def _error(self, e: BaseException) -> None:
        line = dbt_events.msg_to_json(_encountered(e))
        self.stdout.write(dbt_events.env_scrubber(line) + "\n")

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Any signal stops the command as SIGINT stops the CLI: dbt gets a
        KeyboardInterrupt in its thread (it cancels its queries, writes
        run_results.json and ends with code 2), the running queries are
        interrupted so that it gets it soon. A thread cannot be killed: the
        command has ended only once wait() returns."""
        with self._state:
            if not self._running:
                self._stopped = True
                return
            if not self._stopped:  # once: a second one would land in dbt's handling of the first
                self._stopped = True
                _stop_thread(self._thread.ident, KeyboardInterrupt)
            for adapter in list(factory.FACTORY.adapters.values()):
                adapter.cancel_open_connections()

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _encountered(e: BaseException) -> EventMsg:
    return msg_from_base_event(MainEncounteredError(exc=f"{type(e).__name__}: {e}"))


def _stop_thread(ident: int | None, exception: type[BaseException] | None) -> None:
    """Raise `exception` in thread `ident` at its next Python instruction, as a
    signal does in the main thread; None takes back one not yet raised."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exception) if exception else None
    )


def _environment(env: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The child's environment, with what the CLI would find relative to its
    working directory (the project folder) given as absolute paths: this
    process's working directory is not changed (it is the process's, not the
    thread's)."""
    env = dict(env)
    for name in ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        if env.get(name):
            env[name] = str(cwd / env[name])
    env.setdefault("DBT_PROJECT_DIR", str(cwd))
    if (cwd / "profiles.yml").exists():
        env.setdefault("DBT_PROFILES_DIR", str(cwd))
    return env


@contextmanager
def _console_to(stream: _Lines) -> Iterator[None]:
    """dbt's console logger writes to `stream`, not sys.stdout, for the block:
    the lines it writes, filtered and formatted as the CLI's, and nothing
    printed twice. The log file (DBT_LOG_PATH/dbt.log) is written as usual."""
    before = dbt_events.get_capture_stream()
    dbt_events.capture_stdout_logs(stream)
    try:
        yield
    finally:
        if before is None:
            dbt_events.stop_capture_stdout_logs()
        else:
            dbt_events.capture_stdout_logs(before)
        cleanup_event_logger()  # no logger left writing to this command's stream or log


def _release_dbt() -> None:
    """Close what dbt keeps open after a command: the adapters' connections and
    dbt-duckdb's DuckDB connection, which it keeps for the next command of the
    process (credentials keep_open) and which holds the database file."""
    factory.reset_adapters()
    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if env is not None:
        env.close()


@contextmanager
def _popen_in_process() -> Iterator[None]:
    """dagster-dbt starts dbt with subprocess.Popen and takes no other way:
    while a command starts, its module sees this subprocess module instead."""
    real = dbt_cli_invocation.subprocess
    dbt_cli_invocation.subprocess = _InProcessSubprocess()
    try:
        yield
    finally:
        dbt_cli_invocation.subprocess = real


class _InProcessSubprocess:
    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    Popen = DbtInProcess


class InProcessDbtCliResource(DbtCliResource):
    """DbtCliResource whose commands run in this process (DbtInProcess)."""

    def cli(self, args: Sequence[str], **kwargs: Any):
        with _popen_in_process():
            return super().cli(args, **kwargs)

    @cached_property
    def _cli_version(self) -> version.Version:
        # The dbt that runs is this process's dbt-core, not `dbt --version` in a child.
        return DBT_PYTHON_VERSION

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        # dagster-dbt's own handle on the database, for fetch_column_metadata and
        # fetch_row_counts (the asset reads both itself once dbt has ended): in
        # this process it would share dbt-duckdb's one DuckDB environment with
        # the command, and opening it would close the command's connection.
        return None
