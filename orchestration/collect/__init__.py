"""Collecting annual reports from government websites into the raw folder.

    from orchestration.collect import collect, load_sources, CollectOptions, read_manifests

    sources = load_sources("sources.csv")              # SourcesError names file, line, problem
    summary = collect(sources, settings.raw_dir, CollectOptions.from_settings(settings),
                      on_event=lambda kind, fields: ...)
    summary.source_rows()                              # per source: pages, new, changed, ...
    summary.rows()                                     # per URL not collected: url, reason
    read_manifests(settings.raw_dir)                   # polars: every collected file's origin

Modules: sources (the CSV), options (delays, timeouts, limits, User-Agent),
http (the polite client), robots, links (reading pages), names (file names),
content (bytes against claims), storage (atomic writes), manifest, results,
collector (the walk).
"""

from .collector import Listener, collect
from .manifest import COLLECTED_FILES_SCHEMA, MANIFEST_NAME, read_manifests
from .options import CollectOptions
from .outcomes import OUTCOME_NAME, landing_frames, read_outcomes, write_outcomes
from .results import FAILURE_COLUMNS, SOURCE_COLUMNS, CollectSummary, Failure, SourceSummary
from .sources import Source, SourcesError, load_sources, parse_sources

__all__ = [
    "COLLECTED_FILES_SCHEMA",
    "FAILURE_COLUMNS",
    "MANIFEST_NAME",
    "OUTCOME_NAME",
    "SOURCE_COLUMNS",
    "CollectOptions",
    "CollectSummary",
    "Failure",
    "Listener",
    "Source",
    "SourceSummary",
    "SourcesError",
    "collect",
    "landing_frames",
    "load_sources",
    "parse_sources",
    "read_manifests",
    "read_outcomes",
    "write_outcomes",
]
