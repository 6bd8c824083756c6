"""Running the extractor over the files whose content is not cached yet, and
assembling the landing tables for the current file list."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from orchestration import progress
from orchestration.extract.model import LANDING_SCHEMAS, Extraction, IngestError, report_id_for
from orchestration.ingest.cache import ExtractionCache, Outcome
from orchestration.ingest.files import FILES_SCHEMA


@dataclass(frozen=True)
class FromBytes:
    """An extractor given the file's bytes and its path under the raw folder
    (orchestration.extract.extract_bytes): it parses exactly what was hashed."""

    extract: Callable[[bytes, str], Extraction]


# Either FromBytes, or a callable (path, raw root) that reads the file itself.
Extractor = FromBytes | Callable[[Path, Path], Extraction]

INGEST_ERRORS_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,
    "source_sha256": pl.Utf8,
    "stage": pl.Utf8,
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
CHANGED_DURING_BUILD = (
    "changed while the build ran: the file no longer holds the content discovery "
    "hashed; read again next build"
)


def read_content(path: Path) -> bytes:
    """The bytes a worker parses (tests replace it to change a file between
    discovery's hash and this read)."""
    return path.read_bytes()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(sha: str, extract: Callable[..., Extraction], *args) -> Outcome:
    try:
        return Outcome(sha, extraction=extract(*args))
    except IngestError as e:
        return Outcome(sha, stage=e.stage, reason=e.reason)
    except Exception as e:  # noqa: BLE001 - any failure is recorded, the run goes on
        return Outcome(sha, stage="extract", reason=f"{type(e).__name__}: {e}", cacheable=False)


def extract_one(extractor: Extractor, path: str, raw_root: str, sha: str) -> Outcome:
    """Run the extractor on the content discovery hashed as `sha`; never
    raises (runs in a worker process). The file is read once and what was
    read is hashed: a file that cannot be read, or no longer holds that
    content, fails by its path (never cached), so no result is ever stored
    under a hash it was not computed from."""
    file, root = Path(path), Path(raw_root)
    try:
        data = read_content(file)
    except OSError as e:
        return Outcome.path_failure(sha, f"cannot read file: {e.strerror or e}")
    if _sha256(data) != sha:
        return Outcome.path_failure(sha, CHANGED_DURING_BUILD)
    if isinstance(extractor, FromBytes):
        return _run(sha, extractor.extract, data, file.relative_to(root).as_posix())
    # It reads the file itself: keep its result only if the file still holds that content.
    outcome = _run(sha, extractor, file, root)
    try:
        unchanged = _sha256(read_content(file)) == sha
    except OSError:
        unchanged = False
    return outcome if unchanged else Outcome.path_failure(sha, CHANGED_DURING_BUILD)


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (one is stuck) and let the pool go."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


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
) -> list[Outcome]:
    """Extract each (sha256, path) in `todo`, `workers` processes at a time
    (0: in this process), handing each finished file to `on_file` and each
    finished batch to `on_batch` so it is stored before the next starts.

    The worker processes are started once and serve every batch. A file
    still running `file_timeout` seconds after its turn came fails ("timed
    out", cached as such) and the pool is replaced. When a worker dies (a crash in a C
    library, the OOM killer), the batch's unfinished files run again one at a
    time, so that only the file that kills its worker fails. Files finished
    meanwhile keep their results; a worker death is not cached (the file is
    tried again next run). With workers=0 there is no timeout: nothing can
    stop a parse in this process."""
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

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        for batch in _batches(todo, batch_size):
            results: dict[str, Outcome] = {}
            pending, one_at_a_time = list(batch), False
            while pending:
                group = pending[:1] if one_at_a_time else pending
                rest = pending[len(group) :]
                futures = [
                    (sha, p, pool.submit(extract_one, extractor, str(p), str(raw_root), sha))
                    for sha, p in group
                ]
                pending, replace_pool = [], False
                for sha, p, future in futures:
                    if replace_pool:  # keep what finished, run the rest again
                        if future.done() and not future.cancelled() and not future.exception():
                            results[sha] = future.result()
                            on_file(p, results[sha])
                        else:
                            pending.append((sha, p))
                        continue
                    try:
                        results[sha] = future.result(timeout=file_timeout)
                    except TimeoutError:
                        reason = (
                            f"timed out: still parsing after {file_timeout:g} s "
                            "(DISCLOSURE_FILE_TIMEOUT); the worker was stopped"
                        )
                        results[sha] = Outcome(sha, stage="extract", reason=reason, timed_out=True)
                        replace_pool = True
                    except BrokenProcessPool as e:
                        replace_pool = True
                        if not one_at_a_time:  # which running file did it? one at a time
                            one_at_a_time = True
                            pending.append((sha, p))
                            continue
                        reason = f"worker process died while parsing it: {type(e).__name__}: {e}"
                        results[sha] = Outcome(sha, stage="extract", reason=reason, cacheable=False)
                    on_file(p, results[sha])
                if replace_pool:
                    _stop(pool)
                    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
                pending += rest
            done = [results[sha] for sha, _ in batch]
            on_batch(done)
            outcomes += done
    finally:
        pool.shutdown(cancel_futures=True)
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


def _errors_by_sha(outcomes: Sequence[Outcome]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"source_sha256": o.source_sha256, "stage": o.stage, "reason": o.reason}
            for o in outcomes
        ],
        schema={k: INGEST_ERRORS_SCHEMA[k] for k in ("source_sha256", "stage", "reason")},
        orient="row",
    )


def _errors_by_path(outcomes: Mapping[str, Outcome]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"source_path": p, "stage": o.stage, "reason": o.reason} for p, o in outcomes.items()],
        schema={k: INGEST_ERRORS_SCHEMA[k] for k in ("source_path", "stage", "reason")},
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
    own = ok.join(_errors_by_path(path_failures or {}), on="source_path").select(errors)
    crashed = (
        ok.join(_errors_by_sha(transient), on="source_sha256")
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
    skipped = files.filter(pl.col("status") != "ok").select(
        "source_path",
        "source_sha256",
        pl.lit("discover").alias("stage"),
        pl.coalesce(
            "reason",
            pl.when(pl.col("status") == "empty")
            .then(pl.lit("empty file"))
            .otherwise(pl.format("unsupported format: {}", "source_format")),
        ).alias("reason"),
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
