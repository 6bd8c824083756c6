"""Running the extractor over the files whose content is not cached yet, and
assembling the landing tables for the current file list."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from orchestration import progress
from orchestration.children import die_with_parent
from orchestration.extract.formats import detect_format
from orchestration.extract.model import (
    LANDING_SCHEMAS,
    Extraction,
    content_sha256_of,
    report_id_for,
)
from orchestration.extract.refusals import REFUSALS, Refusal, error_text, unexpected
from orchestration.ingest.cache import ExtractionCache, Outcome
from orchestration.ingest.files import FILES_SCHEMA
from orchestration.ingest.page_files import read_pictures
from orchestration.settings import ENV_WORKER_MEMORY_MB, MB


@dataclass(frozen=True)
class FromBytes:
    """An extractor given the file's bytes and its path under the raw folder, and for
    a web page with pictures beside it their bytes by src (`pictures=`)
    (orchestration.extract.extract_bytes): it parses exactly what was hashed."""

    extract: Callable[..., Extraction]


# Either FromBytes, or a callable (path, raw root) that reads the file itself.
Extractor = FromBytes | Callable[[Path, Path], Extraction]

INGEST_ERRORS_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,
    "source_sha256": pl.Utf8,
    "stage": pl.Utf8,
    "code": pl.Utf8,  # the refusal table's code (orchestration/extract/refusals.py)
    "reason": pl.Utf8,
}
# Files the next build tries again (retry 'next_build': unexpected errors, worker
# deaths, path failures) or that `--retry-failed` would (timeouts, 'retry_failed').
RETRIES_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,
    "stage": pl.Utf8,
    "reason": pl.Utf8,
    "retry": pl.Utf8,
}
RETRY_COLUMNS = ("source_path", "stage", "reason")
# The words of a path failure the tests compare with.
CHANGED_DURING_BUILD = Refusal("changed_during_build").reason


def read_content(path: Path) -> bytes:
    """The bytes a worker parses (tests replace it to change a file between
    discovery's hash and this read)."""
    return path.read_bytes()


def _run(sha: str, extract: Callable[..., Extraction], *args) -> Outcome:
    try:
        return Outcome(sha, extraction=extract(*args))
    except Refusal as e:
        return Outcome.refused(sha, e)
    # Any other failure (an IngestError without a code of the refusal table too)
    # is recorded and tried again next build; the run goes on.
    except Exception as e:  # noqa: BLE001
        return Outcome.refused(sha, unexpected(e), cacheable=False)


def _content(data: bytes, file: Path, root: Path) -> tuple[str, dict[str, bytes]]:
    """(content hash, pictures by src) of a file just read: a web page's hash covers
    the pictures beside it on disk now (orchestration/ingest/page_files.py)."""
    pictures = read_pictures(data, file, root) if detect_format(data) == "html" else {}
    return content_sha256_of(data, pictures), pictures


def extract_one(extractor: Extractor, path: str, raw_root: str, sha: str) -> Outcome:
    """Run the extractor on the content discovery hashed as `sha`; never
    raises (runs in a worker process). The file (and a web page's pictures)
    is read once and what was read is hashed: a file that cannot be read, or
    no longer holds that content, fails by its path (never cached), so no
    result is ever stored under a hash it was not computed from."""
    file, root = Path(path), Path(raw_root)
    try:
        data = read_content(file)
    except OSError as e:
        return Outcome.path_failure(sha, Refusal("unreadable_file", error=e.strerror or str(e)))
    content, pictures = _content(data, file, root)
    if content != sha:
        return Outcome.path_failure(sha, Refusal("changed_during_build"))
    if isinstance(extractor, FromBytes):
        extract = partial(extractor.extract, pictures=pictures) if pictures else extractor.extract
        return _run(sha, extract, data, file.relative_to(root).as_posix())
    # It reads the file itself: keep its result only if the file still holds that content.
    outcome = _run(sha, extractor, file, root)
    try:
        data = read_content(file)
        unchanged = _content(data, file, root)[0] == sha
    except OSError:
        unchanged = False
    return outcome if unchanged else Outcome.path_failure(sha, Refusal("changed_during_build"))


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


GiB = 1 << 30
# Files whose deadline is this close to a late one's go with it: the pool is
# killed anyway, and they would start over only to be stopped a moment later.
DEADLINE_SLACK = 1.0


def _memory_text(limit: int) -> str:
    return f"{limit / GiB:.3g} GiB" if limit >= GiB else f"{limit / MB:.3g} MiB"


def _init_worker(parent: int, memory_limit: int) -> None:
    """Each worker ends with the build, and a file that needs more than
    `memory_limit` bytes (0: no limit) fails alone instead of taking the
    machine's memory. RLIMIT_DATA (heap and private mappings) rather than
    RLIMIT_AS: a worker reserves over 1 GB of address space for its threads
    and libraries before reading anything."""
    die_with_parent(parent)
    if memory_limit > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        soft = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _extract_in_worker(
    extractor: Extractor, path: str, raw_root: str, sha: str, memory_limit: int
) -> Outcome:
    """extract_one in a worker: a parse that ran out of the worker's memory
    fails with the limit named, not cached (a higher limit may read it)."""
    try:
        outcome = extract_one(extractor, path, raw_root, sha)
    except MemoryError as e:  # outside the extractor (reading the file)
        outcome = Outcome.refused(sha, unexpected(e), cacheable=False)
    # extract_one records an unexpected error as "Type: message".
    ran_out = outcome.code == "unexpected_error" and (outcome.reason or "").startswith(
        "MemoryError"
    )
    if memory_limit > 0 and ran_out:
        refusal = Refusal("worker_memory", limit=_memory_text(memory_limit))
        return Outcome.refused(sha, refusal, cacheable=False)
    return outcome


def _ready(extractor: Extractor) -> None:
    """A worker's first task: taking the extractor imports its modules."""


def _timed_out(sha: str, seconds: float) -> Outcome:
    return Outcome.refused(sha, Refusal("timed_out", seconds=seconds), timed_out=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (one is stuck, or the build is failing)
    and let the pool go; returns once they are dead."""
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        process.kill()
    multiprocessing.connection.wait([p.sentinel for p in processes], timeout=10)
    pool.shutdown(wait=False, cancel_futures=True)


class _Workers:
    """The extraction worker processes. A ProcessPoolExecutor cannot lose a
    worker and go on, so stopping one replaces them all."""

    def __init__(self, size: int, extractor: Extractor, memory_limit: int):
        self.size, self.extractor, self.memory_limit = size, extractor, memory_limit
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # Started from this thread, which outlives them (see orchestration.children).
        executor = ProcessPoolExecutor(
            max_workers=self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(), self.memory_limit),
        )
        # Up and importing before any file is handed out: a file's time is a
        # worker's time on it, not the seconds a worker takes to start.
        try:
            for future in [executor.submit(_ready, self.extractor) for _ in range(self.size)]:
                future.result()
        except BrokenProcessPool as e:
            executor.shutdown(wait=False)
            hint = f" ({ENV_WORKER_MEMORY_MB} too low?)" if self.memory_limit else ""
            raise RuntimeError(f"the extraction workers could not start{hint}: {e}") from e
        return executor

    def submit(self, path: Path, raw_root: Path, sha: str) -> Future:
        return self.executor.submit(
            _extract_in_worker, self.extractor, str(path), str(raw_root), sha, self.memory_limit
        )

    def replace(self) -> None:
        _stop(self.executor)
        self.executor = self._start()


def _extract_batch(
    workers: _Workers,
    batch: Sequence[tuple[str, Path]],
    raw_root: Path,
    file_timeout: float | None,
    on_file: Callable[[Path, Outcome], None],
) -> dict[str, Outcome]:
    """Outcome by sha256 of each file of `batch`. No more files are handed
    out than there are workers, so a file's clock starts when a worker takes
    it; at its deadline its worker (the whole pool) is killed at once, files
    still running elsewhere run again and files finished keep their results.
    The files running when a worker died run again one at a time, so that
    only the file that kills its worker fails."""
    results: dict[str, Outcome] = {}
    waiting = deque(batch)
    suspects: deque[tuple[str, Path]] = deque()  # running when a worker died
    running: dict[Future, tuple[str, Path, float]] = {}  # -> sha, path, deadline
    alone = False  # a suspect runs by itself

    def finish(sha: str, path: Path, outcome: Outcome) -> None:
        results[sha] = outcome
        on_file(path, outcome)

    def start(sha: str, path: Path) -> None:
        deadline = time.monotonic() + (file_timeout if file_timeout is not None else float("inf"))
        running[workers.submit(path, raw_root, sha)] = (sha, path, deadline)

    while waiting or suspects or running:
        if suspects and not running:
            start(*suspects.popleft())
            alone = True
        while not alone and not suspects and waiting and len(running) < workers.size:
            start(*waiting.popleft())
        timeout = None
        if file_timeout is not None:
            timeout = max(0.0, min(d for _, _, d in running.values()) - time.monotonic())
        done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            sha, path, _ = running.pop(future)
            try:
                finish(sha, path, future.result())
            except BrokenProcessPool as e:
                broken = True
                if alone:
                    refusal = Refusal("worker_died", error=error_text(e))
                    finish(sha, path, Outcome.refused(sha, refusal, cacheable=False))
                else:
                    suspects.append((sha, path))
        now, late = time.monotonic(), []
        if any(deadline <= now for _, _, deadline in running.values()):
            late = [f for f, (_, _, d) in running.items() if d <= now + DEADLINE_SLACK]
        for future in late:
            sha, path, _ = running.pop(future)
            finish(sha, path, _timed_out(sha, file_timeout))
        if broken or late:
            # The pool goes with its workers: what still runs starts again.
            again = deque()
            for future, (sha, path, _) in running.items():
                if future.done() and future.exception() is None:
                    finish(sha, path, future.result())
                else:
                    again.append((sha, path))
            (suspects if broken else waiting).extendleft(reversed(again))
            running.clear()
            workers.replace()
        if not running:
            alone = False
    return results


def extract_contents(
    todo: Sequence[tuple[str, Path]],
    raw_root: Path,
    extractor: Extractor,
    *,
    workers: int,
    batch_size: int,
    on_batch: Callable[[list[Outcome]], None],
    on_file: Callable[[Path, Outcome], None] = lambda _path, _outcome: None,
    file_timeout: float | None = None,
    memory_limit: int = 0,
) -> list[Outcome]:
    """Extract each (sha256, path) in `todo`, `workers` processes at a time
    (0: in this process), handing each finished file to `on_file` and each
    finished batch to `on_batch` so it is stored before the next starts.

    The worker processes are started once and serve every batch; each may
    take `memory_limit` bytes (0: no limit). A file still running `file_timeout` seconds after a worker
    took it fails (stage "timeout", cached as such) and the pool is replaced.
    When a worker dies (a crash in a C library, the OOM killer), the files it
    may have been parsing run again one at a time, so that only the file that
    kills its worker fails; a worker death is not cached (the file is tried
    again next run). Files finished meanwhile keep their results. If this
    raises, the workers are killed, not waited for. With workers=0 there is
    no timeout and no memory limit: nothing can stop a parse in this process."""
    outcomes: list[Outcome] = []
    if workers <= 0:
        for batch in _batches(todo, batch_size):
            done = []
            for sha, p in batch:
                done.append(extract_one(extractor, str(p), str(raw_root), sha))
                on_file(p, done[-1])
            on_batch(done)
            outcomes += done
        return outcomes

    pool = _Workers(workers, extractor, memory_limit)
    try:
        for batch in _batches(todo, batch_size):
            results = _extract_batch(pool, batch, raw_root, file_timeout, on_file)
            done = [results[sha] for sha, _ in batch]
            on_batch(done)
            outcomes += done
    except BaseException:
        _stop(pool.executor)
        raise
    pool.executor.shutdown()
    return outcomes


@dataclass
class LandingBuild:
    frames: dict[
        str, pl.DataFrame
    ]  # reports, cells, extraction_issues, narrative_figures, ingest_errors, retries
    parsed_now: int
    reused: int
    failed: int
    parsed_paths: list[str] = field(default_factory=list)  # the files parsed in this run


def _errors(key: str, outcomes: Mapping[str, Outcome]) -> pl.DataFrame:
    """Failure rows keyed by `key` (source_sha256 or source_path)."""
    columns = (key, "stage", "code", "reason")
    return pl.DataFrame(
        [
            {key: k, "stage": o.stage, "code": o.code, "reason": o.reason}
            for k, o in outcomes.items()
        ],
        schema={c: INGEST_ERRORS_SCHEMA[c] for c in columns},
        orient="row",
    )


def assemble(
    files: pl.DataFrame,
    cached: dict[str, pl.DataFrame],
    transient: Sequence[Outcome],
    path_failures: Mapping[str, Outcome] | None = None,
) -> dict[str, pl.DataFrame]:
    """Landing tables for the files in `files` (schema FILES_SCHEMA) from the
    cached content rows: each file gets its own report_id and source_path, so
    two copies of one content are two reports. `transient` are content
    failures not cached (unexpected exceptions, worker deaths in this run:
    every copy of the content fails); `path_failures` (by source_path) failed
    by their path in this run, and only they do. Also `retries`: the files a
    build must try again (RETRIES_SCHEMA)."""
    files = files.select(list(FILES_SCHEMA)).cast(FILES_SCHEMA)
    errors = list(INGEST_ERRORS_SCHEMA)
    ok = files.filter(pl.col("status") == "ok").select(
        pl.col("source_path").map_elements(report_id_for, return_dtype=pl.Utf8).alias("report_id"),
        "source_path",
        "source_sha256",
    )
    # Failures of this run: a path's own failure first, then its content's.
    own = ok.join(_errors("source_path", path_failures or {}), on="source_path").select(errors)
    by_sha = {o.source_sha256: o for o in transient}
    crashed = (
        ok.join(_errors("source_sha256", by_sha), on="source_sha256")
        .join(own, on="source_path", how="anti")
        .select(errors)
    )
    failed_now = pl.concat([own, crashed])
    loaded = ok.join(failed_now, on="source_path", how="anti")
    frames = {}
    for name, schema in LANDING_SCHEMAS.items():
        rows = loaded.join(cached[name].with_row_index("_row"), on="source_sha256")
        frames[name] = rows.sort("source_path", "_row").select(list(schema)).cast(schema)
    # Ingest errors: files not handed to the extractor, files it refused, files it crashed on.
    stages = {code: reason.stage for code, reason in REFUSALS.items()}
    skipped = files.filter(pl.col("status") != "ok").select(
        "source_path",
        "source_sha256",
        pl.col("code").replace_strict(stages, return_dtype=pl.Utf8).alias("stage"),
        "code",
        "reason",
    )
    refused = loaded.join(cached["failures"], on="source_sha256")
    frames["ingest_errors"] = (
        pl.concat([skipped, refused.select(errors), failed_now])
        .cast(INGEST_ERRORS_SCHEMA)
        .sort("source_path")
    )
    timed_out = refused.filter(pl.col("timed_out"))
    frames["retries"] = (
        pl.concat(
            [
                failed_now.select(*RETRY_COLUMNS, pl.lit("next_build").alias("retry")),
                timed_out.select(*RETRY_COLUMNS, pl.lit("retry_failed").alias("retry")),
            ]
        )
        .cast(RETRIES_SCHEMA)
        .sort("source_path")
    )
    return frames


def build_landing(
    files: pl.DataFrame,
    raw_root: Path,
    cache: ExtractionCache,
    extractor: Extractor,
    *,
    workers: int,
    batch_size: int,
    log: Callable[[str], None] = lambda _msg: None,
    warn: Callable[[str], None] | None = None,
    file_timeout: float | None = None,
    memory_limit: int = 0,
    retry_failed: bool = False,
) -> LandingBuild:
    """Extract what the cache lacks (with `retry_failed`, also the contents
    that timed out before), then assemble the landing tables. A content whose
    path fails is read from its next copy, if any. Each failure is passed to
    `warn` (default: `log`) as it happens, and progress events go to
    orchestration.progress."""
    warn = warn or log
    ok = files.filter(pl.col("status") == "ok")
    known = cache.known() if retry_failed else cache.known() | cache.timed_out()
    copies: dict[str, list[Path]] = {}
    for path, sha in ok.select("source_path", "source_sha256").iter_rows():
        if sha not in known:
            copies.setdefault(sha, []).append(raw_root / path)
    log(f"{ok.height} files to extract: {len(copies)} new contents, the rest cached")
    progress.emit("extract", files=ok.height, to_parse=len(copies), cached=ok.height - len(copies))

    def store(batch: list[Outcome]) -> None:
        cache.store(batch)
        failed = sum(o.extraction is None for o in batch)
        log(f"extracted {len(batch)} files ({failed} failed)")

    def each(path: Path, outcome: Outcome) -> None:
        rel = path.relative_to(raw_root).as_posix()
        if outcome.extraction is None:
            warn(f"{rel}: {outcome.stage}: {outcome.reason}")
        progress.emit("file", path=rel, ok=outcome.extraction is not None, reason=outcome.reason)

    untried = {sha: iter(paths) for sha, paths in copies.items()}
    todo = {sha: next(paths) for sha, paths in untried.items()}
    outcomes: dict[str, Outcome] = {}
    path_failures: dict[str, Outcome] = {}
    while todo:
        done = extract_contents(
            list(todo.items()),
            raw_root,
            extractor,
            workers=workers,
            batch_size=batch_size,
            on_batch=store,
            on_file=each,
            file_timeout=file_timeout,
            memory_limit=memory_limit,
        )
        retry = {}
        for outcome in done:
            sha = outcome.source_sha256
            outcomes[sha] = outcome
            if outcome.by_path:
                path_failures[todo[sha].relative_to(raw_root).as_posix()] = outcome
                if (other := next(untried[sha], None)) is not None:
                    retry[sha] = other
        todo = retry
    transient = [o for o in outcomes.values() if not o.cacheable and not o.by_path]
    frames = assemble(files, cache.load(ok["source_sha256"]), transient, path_failures)
    parsed = ok.filter(pl.col("source_sha256").is_in(set(copies)))
    return LandingBuild(
        frames=frames,
        parsed_now=parsed.height,
        reused=ok.height - parsed.height,
        failed=frames["ingest_errors"].height,
        parsed_paths=parsed["source_path"].to_list(),
    )
