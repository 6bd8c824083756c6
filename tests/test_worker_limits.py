"""What bounds an extraction worker and a build's child processes: a memory
limit per worker, a timeout that kills the worker at the file's deadline,
workers that end with a build killed outright, and dbt, which runs in the
build's process, leaving nothing behind either.

The extractor is a stand-in defined here (module level, so worker processes
can import it); the kill tests run a real build in another process.
"""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.extract.model import Extraction, Identity
from orchestration.extract.refusals import Refusal
from orchestration.ingest.cache import ExtractionCache
from orchestration.ingest.extraction import build_landing
from orchestration.ingest.files import discover, files_frame
from orchestration.settings import MB, PROJECT_ROOT

pytestmark = pytest.mark.e2e

MARKS = "DISCLOSURE_TEST_MARKS"  # folder where the stand-ins note each start


def mark_start(path: Path) -> None:
    marks = os.environ.get(MARKS)
    if marks:
        (Path(marks) / f"{path.name}.{os.getpid()}").write_text(str(time.time()))


def stand_in(path: Path, raw_root: Path) -> Extraction:
    mark_start(path)
    text = path.read_text(encoding="utf-8")
    if text.startswith("HOG"):  # a parse that keeps allocating, as a DOCX bomb does
        chunks = [bytes(MB) for _ in range(1024)]
        del chunks
    if text.startswith("SLEEP"):
        time.sleep(float(text.split()[1]))
    if text.startswith("REFUSE"):
        # "REFUSE after NAME": only once NAME's parse has started (its worker is busy)
        words = text.split()
        for _ in range(200 if len(words) == 3 and os.environ.get(MARKS) else 0):
            if any(Path(os.environ[MARKS]).glob(f"{words[2]}.*")):
                break
            time.sleep(0.05)
        raise Refusal("no_text")
    return Extraction(
        source_path=path.relative_to(raw_root).as_posix(),
        source_sha256="ignored",
        source_format="text",
        template="gov2008",
        identity=Identity(organization=path.stem, report_year=2018),
    )


def sleepy_file(path: Path, raw_root: Path) -> Extraction:
    """For a whole build: every file keeps its worker busy."""
    mark_start(path)
    time.sleep(600)
    raise AssertionError("not reached")


def sleepy_bytes(data: bytes, source_path: str) -> Extraction:
    return sleepy_file(Path(source_path), Path())


def landing(tmp_path: Path, files: dict[str, str], **kwargs):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:
        return build_landing(
            files_frame(discover(raw)), raw, cache, stand_in, workers=2, batch_size=16, **kwargs
        )


def errors_of(result) -> dict[str, tuple[str, str]]:
    rows = result.frames["ingest_errors"].select("source_path", "stage", "reason").rows()
    return {p: (stage, reason) for p, stage, reason in rows}


@pytest.fixture
def marks(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "marks"
    folder.mkdir()
    monkeypatch.setenv(MARKS, str(folder))
    return folder


def starts(marks: Path) -> dict[str, list[tuple[int, float]]]:
    """(pid, time) of each start of each file, by file name."""
    out: dict[str, list[tuple[int, float]]] = {}
    for mark in marks.iterdir():
        name, pid = mark.name.rsplit(".", 1)
        out.setdefault(name, []).append((int(pid), float(mark.read_text())))
    return out


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- memory ---


def test_a_file_over_the_memory_limit_fails_alone(tmp_path):
    files = {"a.txt": "甲", "b-hog.txt": "HOG", "c.txt": "乙", "d.txt": "丙"}
    result = landing(tmp_path, files, memory_limit=512 * MB)
    assert errors_of(result) == {
        "b-hog.txt": (
            "extract",
            "file needs more than 512 MiB of memory to read (DISCLOSURE_WORKER_MEMORY_MB)",
        )
    }
    assert sorted(result.frames["reports"]["source_path"]) == ["a.txt", "c.txt", "d.txt"]
    with ExtractionCache(tmp_path / "cache.duckdb") as cache:  # a higher limit may read it
        assert len(cache.known()) == 3


# --- timeouts ---


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_hung_files_are_stopped_at_their_deadline_and_others_keep_their_results(tmp_path, marks):
    timeout = 5
    files = {"a-hang.txt": "SLEEP 600 a", "b-hang.txt": "SLEEP 600 b"}
    files |= {f"{c}.txt": c for c in "cdef"}
    recorded: dict[str, float] = {}

    def warn(message: str) -> None:
        recorded[message.split(":")[0]] = time.time()

    result = landing(tmp_path, files, file_timeout=timeout, warn=warn)
    errors = errors_of(result)
    assert sorted(errors) == ["a-hang.txt", "b-hang.txt"]
    for name in ("a-hang.txt", "b-hang.txt"):
        stage, reason = errors[name]
        assert stage == "timeout"
        assert reason == (
            f"still parsing after {timeout} s (DISCLOSURE_FILE_TIMEOUT); its worker was stopped"
        )
    assert sorted(result.frames["reports"]["source_path"]) == [f"{c}.txt" for c in "cdef"]
    started = starts(marks)
    # Both hung at once: both stopped at once, neither started over, and every
    # other file ran once.
    assert {name: len(runs) for name, runs in started.items()} == {name: 1 for name in files}
    for name in ("a-hang.txt", "b-hang.txt"):
        [(pid, at)] = started[name]
        assert recorded[name] - at < timeout + 1.5, name
        assert not is_running(pid), f"the worker of {name} still runs"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_failing_run_kills_its_workers_instead_of_waiting_for_them(tmp_path, marks):
    def warn(message: str) -> None:
        raise KeyboardInterrupt(message)  # the run is stopped while a file still parses

    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt, match="a-refused.txt"):
        landing(
            tmp_path,
            {"a-refused.txt": "REFUSE after b-slow.txt", "b-slow.txt": "SLEEP 30"},
            warn=warn,
        )
    assert time.monotonic() - began < 15
    [(pid, _)] = starts(marks)["b-slow.txt"]
    assert not is_running(pid)


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
def test_a_killed_build_leaves_no_worker_behind(build_dirs, marks):
    raw, warehouse = build_dirs
    driver = (
        "import orchestration.extract as e, tests.test_worker_limits as t\n"
        "e.extract_file, e.extract_bytes = t.sleepy_file, t.sleepy_bytes\n"
        "from orchestration.cli import main\n"
        "main()\n"
    )
    build = start_build(
        [sys.executable, "-c", driver, "build", "--raw", str(raw), "--warehouse", str(warehouse)],
        {MARKS: str(marks)},
    )
    try:
        wait_until(lambda: len(list(marks.iterdir())) == 2, 120, "both workers to be parsing")
        assert len(descendants(build.pid)) >= 3  # two workers and the resource tracker
        kill_and_expect_no_survivors(build)
    finally:
        build.kill()
        build.wait()


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_killed_build_leaves_no_dbt_writing_outside_the_lock(build_dirs):
    """dbt runs in the build's own process (orchestration/dbt_in_process.py):
    killed with it, it leaves nothing holding the build database or its lock."""
    raw, warehouse = build_dirs
    cli = str(Path(sys.executable).parent / "disclosure")
    build = start_build([cli, "build", "--raw", str(raw), "--warehouse", str(warehouse)])
    build_db = warehouse.parent / "build" / "disclosure.duckdb"
    lock = build_db.with_name(build_db.name + ".lock")
    log = build_db.parent / "dbt-target" / "dbt.log"

    def open_files() -> set[str]:
        found = set()
        for fd in Path(f"/proc/{build.pid}/fd").iterdir():
            try:
                found.add(os.readlink(fd))
            except OSError:  # closed meanwhile
                pass
        return found

    try:
        wait_until(lambda: log.exists() and " START " in log.read_text(), 180, "a dbt node")
        assert str(build_db) in open_files()  # dbt writes it from the build's process
        kill_and_expect_no_survivors(build)
        with open(lock, "a+") as f:  # free at once
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        duckdb.connect(str(build_db)).close()  # and no process holds the database
    finally:
        build.kill()
        build.wait()
