"""Running the extractor over the files whose content is not cached yet, and
assembling the landing tables for the current file list."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.extract.model import LANDING_SCHEMAS, Extraction, IngestError, report_id_for
from orchestration.ingest.cache import ExtractionCache, Outcome
from orchestration.ingest.files import FILES_SCHEMA

Extractor = Callable[[Path, Path], Extraction]

INGEST_ERRORS_SCHEMA: dict[str, pl.DataType] = {
    "source_path": pl.Utf8,
    "source_sha256": pl.Utf8,
    "stage": pl.Utf8,
    "reason": pl.Utf8,
}


def extract_one(extractor: Extractor, path: str, raw_root: str, sha: str) -> Outcome:
    """Run the extractor on one file; never raises (runs in a worker process)."""
    try:
        return Outcome(sha, extraction=extractor(Path(path), Path(raw_root)))
    except IngestError as e:
        return Outcome(sha, stage=e.stage, reason=e.reason)
    except Exception as e:  # noqa: BLE001 - any failure is recorded, the run goes on
        return Outcome(sha, stage="extract", reason=f"{type(e).__name__}: {e}", cacheable=False)


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def extract_contents(
    todo: Sequence[tuple[str, Path]],
    raw_root: Path,
    extractor: Extractor,
    *,
    workers: int,
    batch_size: int,
    on_batch: Callable[[list[Outcome]], None],
) -> list[Outcome]:
    """Extract each (sha256, path) in `todo`, `workers` processes at a time
    (0: in this process), handing each finished batch to `on_batch` so it is
    stored before the next starts. A worker that dies fails only its batch's
    unfinished files; the next batch gets a fresh pool."""
    outcomes: list[Outcome] = []
    if workers <= 0:
        for batch in _batches(todo, batch_size):
            done = [extract_one(extractor, str(p), str(raw_root), sha) for sha, p in batch]
            on_batch(done)
            outcomes += done
        return outcomes

    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        for batch in _batches(todo, batch_size):
            futures = [
                (sha, pool.submit(extract_one, extractor, str(p), str(raw_root), sha))
                for sha, p in batch
            ]
            done, broken = [], False
            for sha, future in futures:
                try:
                    done.append(future.result())
                except BrokenProcessPool as e:
                    broken = True
                    reason = f"worker process died: {type(e).__name__}: {e}"
                    done.append(Outcome(sha, stage="extract", reason=reason, cacheable=False))
            on_batch(done)
            outcomes += done
            if broken:
                pool.shutdown(cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    finally:
        pool.shutdown(cancel_futures=True)
    return outcomes


@dataclass
class LandingBuild:
    frames: dict[
        str, pl.DataFrame
    ]  # reports, cells, extraction_issues, narrative_figures, ingest_errors
    parsed_now: int
    reused: int
    failed: int


def assemble(
    files: pl.DataFrame, cached: dict[str, pl.DataFrame], transient: Sequence[Outcome]
) -> dict[str, pl.DataFrame]:
    """Landing tables for the files in `files` (schema FILES_SCHEMA) from the
    cached content rows: each file gets its own report_id and source_path, so
    two copies of one content are two reports. `transient` are failures not
    cached (unexpected exceptions in this run)."""
    files = files.select(list(FILES_SCHEMA)).cast(FILES_SCHEMA)
    ok = files.filter(pl.col("status") == "ok").select(
        pl.col("source_path").map_elements(report_id_for, return_dtype=pl.Utf8).alias("report_id"),
        "source_path",
        "source_sha256",
    )
    frames = {}
    for name, schema in LANDING_SCHEMAS.items():
        rows = ok.join(cached[name].with_row_index("_row"), on="source_sha256")
        frames[name] = rows.sort("source_path", "_row").select(list(schema)).cast(schema)
    # Ingest errors: files not handed to the extractor, files it refused, files it crashed on.
    skipped = files.filter(pl.col("status") != "ok").select(
        "source_path",
        "source_sha256",
        pl.lit("discover").alias("stage"),
        pl.when(pl.col("status") == "empty")
        .then(pl.lit("empty file"))
        .otherwise(pl.format("unsupported format: {}", "source_format"))
        .alias("reason"),
    )
    refused = ok.join(cached["failures"], on="source_sha256").select(list(INGEST_ERRORS_SCHEMA))
    crashed_by_sha = pl.DataFrame(
        [
            {"source_sha256": o.source_sha256, "stage": o.stage, "reason": o.reason}
            for o in transient
        ],
        schema={k: INGEST_ERRORS_SCHEMA[k] for k in ("source_sha256", "stage", "reason")},
        orient="row",
    )
    crashed = ok.join(crashed_by_sha, on="source_sha256").select(list(INGEST_ERRORS_SCHEMA))
    frames["ingest_errors"] = (
        pl.concat([skipped, refused, crashed]).cast(INGEST_ERRORS_SCHEMA).sort("source_path")
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
) -> LandingBuild:
    """Extract what the cache lacks, then assemble the landing tables."""
    ok = files.filter(pl.col("status") == "ok")
    known = cache.known()
    todo: dict[str, Path] = {}
    for path, sha in ok.select("source_path", "source_sha256").iter_rows():
        if sha not in known and sha not in todo:
            todo[sha] = raw_root / path
    log(f"{ok.height} files to extract: {len(todo)} new contents, the rest cached")

    def store(batch: list[Outcome]) -> None:
        cache.store(batch)
        failed = sum(o.extraction is None for o in batch)
        log(f"extracted {len(batch)} files ({failed} failed)")

    outcomes = extract_contents(
        list(todo.items()),
        raw_root,
        extractor,
        workers=workers,
        batch_size=batch_size,
        on_batch=store,
    )
    transient = [o for o in outcomes if not o.cacheable]
    frames = assemble(files, cache.load(ok["source_sha256"]), transient)
    parsed_shas = set(todo)
    return LandingBuild(
        frames=frames,
        parsed_now=ok.filter(pl.col("source_sha256").is_in(parsed_shas)).height,
        reused=ok.filter(~pl.col("source_sha256").is_in(parsed_shas)).height,
        failed=frames["ingest_errors"].height,
    )
