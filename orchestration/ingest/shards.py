"""Extraction results written as Parquet by the partitions of `landing/extractions`,
until a build takes them into the extraction cache.

The cache is one DuckDB file, and DuckDB has one writer per file: partitions
that parse in parallel (processes of one machine, pods of a cluster) cannot all
write it. Each partition writes what it parsed instead as shards: one folder
per batch, `<shards>/<prefix>/<batch id>/<cache table>.parquet`, in the cache's
own layout (rows keyed by content and extractor version). A shard is written in
a hidden folder and renamed into place once complete, so a reader never sees
half a shard, and a killed partition keeps the batches it finished. The next
build (`landing_extraction`) stores every shard of its extractor version in the
cache, in one transaction per shard, and removes it; shards of another version
are dropped.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import polars as pl

from orchestration.ingest.cache import ExtractionCache, Outcome, cache_frames, cache_schemas

# Partitions by the first hex digit of the content's SHA-256: sixteen of about
# equal size whatever the folder's layout, and a content always in the same one.
PREFIXES = tuple(f"{i:x}" for i in range(16))


def write_shard(root: Path, prefix: str, outcomes: Iterable[Outcome], version: str) -> Path | None:
    """Write the cacheable outcomes as one shard of partition `prefix`; returns
    its folder (None when nothing was cacheable)."""
    frames, shas = cache_frames(outcomes, version)
    if not shas:
        return None
    name = uuid.uuid4().hex
    tmp = root / prefix / f".{name}.tmp"
    tmp.mkdir(parents=True)
    for table, frame in frames.items():
        frame.write_parquet(tmp / f"{table}.parquet")
    final = root / prefix / name
    tmp.rename(final)
    return final


def shards(root: Path, prefix: str | None = None) -> list[Path]:
    """The complete shards under `root` (of one partition, or of all)."""
    parts = [root / prefix] if prefix is not None else sorted(root.glob("*"))
    return sorted(
        shard
        for part in parts
        if part.is_dir()
        for shard in part.iterdir()
        if shard.is_dir() and not shard.name.startswith(".")
    )


def read_shard(shard: Path) -> dict[str, pl.DataFrame]:
    return {
        name: pl.read_parquet(shard / f"{name}.parquet").cast(schema)
        if (shard / f"{name}.parquet").exists()
        else pl.DataFrame(schema=schema)
        for name, schema in cache_schemas().items()
    }


def _contents(frames: dict[str, pl.DataFrame], version: str) -> list[str]:
    """The content hashes a shard holds for `version`: each parsed or refused."""
    keys = pl.concat([frames["reports"]["source_sha256"], frames["failures"]["source_sha256"]])
    ours = pl.concat(
        [frames["reports"]["extractor_version"], frames["failures"]["extractor_version"]]
    )
    return sorted(set(keys.filter(ours == version).to_list()))


def contents_in_shards(root: Path, prefix: str, version: str) -> set[str]:
    """Content hashes the shards of a partition already hold for `version`."""
    found: set[str] = set()
    for shard in shards(root, prefix):
        found.update(_contents(read_shard(shard), version))
    return found


def absorb(cache: ExtractionCache, root: Path) -> Iterator[tuple[Path, int]]:
    """Store every shard under `root` in the cache and remove it; yields
    (shard, contents stored). A shard of another extractor version is removed
    unread: its rows would be dropped from the cache anyway."""
    for shard in shards(root):
        frames = read_shard(shard)
        shas = _contents(frames, cache.version)
        if shas:
            frames = {
                name: frame.filter(pl.col("extractor_version") == cache.version)
                for name, frame in frames.items()
            }
            cache.store_frames(frames, shas)
        shutil.rmtree(shard)
        yield shard, len(shas)
