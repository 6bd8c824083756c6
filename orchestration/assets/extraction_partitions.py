"""`landing/extractions`: parsing as a partitioned asset, for backfills that
need more than one process or machine.

Sixteen static partitions, one per first hex digit of the content's SHA-256
(orchestration/ingest/shards.py). A partition parses the contents of its prefix
that discovery listed (`landing/files`, read from its Parquet copy) and that
neither the extraction cache nor an earlier shard holds, and writes the
results as Parquet shards, batch by batch; it never opens the build database
for writing, nor takes the build lock. So Dagster runs partitions side by side:
a backfill in the UI, run by the run queue (`max_concurrent_runs`) and the
default run launcher on one machine, or by a cluster's run launcher (Docker,
Kubernetes, Celery) unchanged. The next `build_warehouse` run stores the shards
in the cache and parses only what is left.

Each file is still parsed in a worker process of its own partition, with the
per-file timeout and memory limit of every build.
"""

import time

import dagster as dg
import duckdb
import polars as pl

from orchestration import extract
from orchestration.ingest import shards
from orchestration.ingest.cache import extraction_version
from orchestration.ingest.extraction import FromBytes, extract_contents
from orchestration.settings import Settings, connect

KEY = dg.AssetKey(["landing", "extractions"])
PARTITIONS = dg.StaticPartitionsDefinition(list(shards.PREFIXES))


def _in_cache(settings: Settings) -> set[str]:
    """Contents the cache holds for this version; empty when it cannot be read
    now (a build holds it open for writing): the shards are checked anyway."""
    if not settings.cache_db.exists():
        return set()
    try:
        with connect(settings.cache_db, read_only=True) as con:
            rows = con.execute(
                "select source_sha256 from reports where extractor_version = $v "
                "union select source_sha256 from failures where extractor_version = $v",
                {"v": extraction_version()},
            ).fetchall()
    except duckdb.Error:
        return set()
    return {r[0] for r in rows}


def todo(settings: Settings, prefix: str) -> list[tuple[str, str]]:
    """(sha256, path under the raw folder) of each content of partition
    `prefix` still to parse: one path per content."""
    if not settings.files_parquet.exists():
        raise dg.Failure(
            f"no file list at {settings.files_parquet}: materialize landing/files (discovery) first"
        )
    files = pl.read_parquet(settings.files_parquet).filter(
        (pl.col("status") == "ok") & pl.col("source_sha256").str.starts_with(prefix)
    )
    done = _in_cache(settings) | shards.contents_in_shards(
        settings.shards_dir, prefix, extraction_version()
    )
    first = files.sort("source_path").unique("source_sha256", keep="first", maintain_order=True)
    return [
        (sha, path)
        for sha, path in first.select("source_sha256", "source_path").iter_rows()
        if sha not in done
    ]


@dg.asset(
    key=KEY,
    deps=[dg.AssetKey(["landing", "files"])],
    partitions_def=PARTITIONS,
    group_name="landing",
    kinds={"python", "parquet"},
    description=(
        "Parses the contents whose SHA-256 starts with the partition's hex digit and "
        "that the extraction cache lacks, writing the results as Parquet shards that "
        "the next build stores in the cache. Partitions run side by side (a backfill), "
        "on one machine or a cluster."
    ),
)
def extraction_partition(
    context: dg.AssetExecutionContext, settings: Settings
) -> dg.MaterializeResult:
    prefix = context.partition_key
    work = todo(settings, prefix)
    context.log.info(f"partition {prefix}: {len(work)} contents to parse")
    version = extraction_version()
    written: list[str] = []

    def store(batch) -> None:
        shard = shards.write_shard(settings.shards_dir, prefix, batch, version)
        if shard is not None:
            written.append(shard.name)

    def each(path, outcome) -> None:
        if outcome.extraction is None:
            context.log.warning(f"{path.name}: {outcome.stage}: {outcome.reason}")

    started = time.monotonic()
    outcomes = extract_contents(
        [(sha, settings.raw_dir / path) for sha, path in work],
        settings.raw_dir,
        FromBytes(extract.extract_bytes),
        workers=1,
        batch_size=settings.batch_size,
        on_batch=store,
        on_file=each,
        file_timeout=settings.file_timeout,
        memory_limit=settings.worker_memory_bytes,
    )
    seconds = time.monotonic() - started
    return dg.MaterializeResult(
        metadata={
            "contents_parsed": len(outcomes),
            "failed": sum(o.extraction is None for o in outcomes),
            # Unexpected errors and path failures are not kept: the build tries them again.
            "not_kept": sum(not o.cacheable or o.by_path for o in outcomes),
            "shards": len(written),
            "seconds": round(seconds, 2),
            "extractor_version": version,
        }
    )


extract_partitions = dg.define_asset_job(
    "extract_partitions",
    selection=[KEY],
    description=(
        "Parse one partition of the raw folder's contents into shards (backfill several "
        "to parse in parallel; build_warehouse then loads them)."
    ),
)
