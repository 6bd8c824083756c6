"""What the last collection of each source did, kept beside its files.

`<raw>/<source>/.collect_outcome.json` holds the source's summary and every
URL it could not collect (failed or skipped, with the reason), replaced whole
by each run of that source. Discovery reads them into `landing.collect_*`,
so the warehouse lists each source's failures as rows; like the manifest, the
name starts with '.', so discovery never takes it for a report."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .results import CollectSummary
from .storage import write_atomic

OUTCOME_NAME = ".collect_outcome.json"

SOURCES_SCHEMA = {
    "source": pl.Utf8,
    "listing_url": pl.Utf8,
    "pages_fetched": pl.Int64,
    "requests": pl.Int64,
    "new_files": pl.Int64,
    "changed_files": pl.Int64,
    "unchanged_files": pl.Int64,
    "failed": pl.Int64,
    "skipped": pl.Int64,
    "error": pl.Utf8,
    "started_at": pl.Utf8,
    "finished_at": pl.Utf8,
}
FAILURES_SCHEMA = {
    "source": pl.Utf8,
    "url": pl.Utf8,
    "referring_page": pl.Utf8,
    "http_status": pl.Int64,
    "outcome": pl.Utf8,
    "reason": pl.Utf8,
}


def _text(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def write_outcomes(raw_dir: Path, summary: CollectSummary) -> None:
    """One outcome file per source the run walked."""
    failures = summary.rows()
    for row in summary.source_rows():
        folder = Path(raw_dir) / row["source"]
        folder.mkdir(parents=True, exist_ok=True)
        record = {
            "source": {k: _text(v) for k, v in row.items()},
            "failures": [f for f in failures if f["source"] == row["source"]],
        }
        write_atomic(folder / OUTCOME_NAME, json.dumps(record, ensure_ascii=False).encode())


def read_outcomes(raw_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per source, one row per URL not collected) of the last runs."""
    sources, failures = [], []
    for path in sorted(Path(raw_dir).glob(f"*/{OUTCOME_NAME}")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a damaged file: the next run replaces it
            continue
        sources.append(record["source"])
        failures += record["failures"]
    return (
        pl.DataFrame(sources, schema=SOURCES_SCHEMA, orient="row"),
        pl.DataFrame(failures, schema=FAILURES_SCHEMA, orient="row"),
    )


def landing_frames(raw_dir: Path) -> dict[str, pl.DataFrame]:
    """The landing tables discovery writes from the collector's files in the raw
    folder: where each collected file came from, and what the last runs did."""
    from .manifest import read_manifests

    sources, failures = read_outcomes(raw_dir)
    return {
        "collected_files": read_manifests(raw_dir),
        "collected_sources": sources,
        "collect_failures": failures,
    }
