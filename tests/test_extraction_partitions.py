"""Parsing by partition (landing/extractions): shards and a backfill.

A backfill of several partitions, each run in its own `dagster asset
materialize` process and all at once (what the run queue and launcher do with
a backfill), parses each content of the raw folder once, into shards; the
build that follows stores them in the cache, parses nothing, and publishes the
marts a build that parsed everything itself publishes."""

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.extract.model import Extraction, Identity
from orchestration.ingest import shards
from orchestration.ingest.cache import ExtractionCache, Outcome, extraction_version
from orchestration.settings import ENV_RAW, ENV_WAREHOUSE, Settings
from tests.fixtures.warehouse import mart_rows

DAGSTER = Path(sys.executable).parent / "dagster"


def materialize(env: dict, select: str, partition: str | None = None) -> subprocess.Popen:
    args = [str(DAGSTER), "asset", "materialize", "-m", "orchestration.definitions"]
    args += ["--select", select] + (["--partition", partition] if partition else [])
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finished(process: subprocess.Popen) -> str:
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out[-3000:]
    return out


@pytest.mark.e2e
def test_a_backfill_of_partitions_in_parallel_then_a_build_parses_nothing(
    built_warehouse_dirs, tmp_path
):
    session_raw, session_warehouse = built_warehouse_dirs
    warehouse = tmp_path / "warehouse" / "disclosure.duckdb"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DISCLOSURE_")},
        ENV_RAW: str(session_raw),
        ENV_WAREHOUSE: str(warehouse),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    (tmp_path / "dagster").mkdir()
    finished(materialize(env, "landing/files"))
    settings = Settings.from_env(env)
    files = pl.read_parquet(settings.files_parquet).filter(pl.col("status") == "ok")
    prefixes = sorted({sha[0] for sha in files["source_sha256"]})
    assert len(prefixes) >= 3
    # Every partition the folder has, all at once, each in its own process.
    running = [materialize(env, "landing/extractions", p) for p in prefixes]
    for process in running:
        finished(process)
    found = shards.shards(settings.shards_dir)
    assert {s.parent.name for s in found} == set(prefixes)
    in_shards = set()
    for p in prefixes:
        in_shards |= shards.contents_in_shards(settings.shards_dir, p, extraction_version())
    assert in_shards == set(files["source_sha256"])
    # A partition run again has nothing left to parse.
    finished(materialize(env, "landing/extractions", prefixes[0]))
    assert len(shards.shards(settings.shards_dir)) == len(found)

    os.environ.pop("DAGSTER_HOME", None)
    for k, v in env.items():
        if k.startswith("DISCLOSURE_"):
            os.environ[k] = v
    try:
        result = CliRunner().invoke(main, ["build", "--progress"])
    finally:
        for k in (ENV_RAW, ENV_WAREHOUSE):
            os.environ.pop(k, None)
    assert result.exit_code == 0, result.output
    assert f"extract: {files.height} files, 0 to parse" in result.output
    assert shards.shards(settings.shards_dir) == []  # stored in the cache, removed
    assert mart_rows(warehouse) == mart_rows(session_warehouse)


def _outcome(sha: str, year: int) -> Outcome:
    x = Extraction(
        source_path="a.txt",
        source_sha256=sha,
        source_format="text",
        template="gov2019",
        identity=Identity(organization="某县人民政府", report_year=year),
        line_count=3,
    )
    return Outcome(sha, extraction=x)


@pytest.mark.unit
def test_shards_are_stored_in_the_cache_once_and_removed(tmp_path):
    root = tmp_path / "shards"
    version = "v-test"
    a, b, c = "a" + "0" * 63, "a" + "1" * 63, "a" + "2" * 63
    first = shards.write_shard(root, "a", [_outcome(a, 2020)], version)
    shards.write_shard(root, "a", [_outcome(b, 2021), Outcome.refused(c, _no())], version)
    # not cacheable: nothing written
    assert shards.write_shard(root, "a", [Outcome(a, cacheable=False, stage="x")], version) is None
    (root / "a" / ".half.tmp").mkdir()  # a shard still being written is not one
    assert first in shards.shards(root, "a")
    assert len(shards.shards(root)) == 2
    assert shards.contents_in_shards(root, "a", version) == {a, b, c}
    assert shards.contents_in_shards(root, "a", "other") == set()
    with ExtractionCache(tmp_path / "cache.duckdb", version=version) as cache:
        stored = list(shards.absorb(cache, root))
        assert sorted(n for _, n in stored) == [1, 2]
        assert cache.known() == {a, b, c}  # c refused: cached as a failure
        years = cache.load([a, b])["reports"].sort("source_sha256")["report_year"].to_list()
        assert years == [2020, 2021]
    assert shards.shards(root) == []


def _no():
    from orchestration.extract.refusals import Refusal

    return Refusal("not_a_report")
