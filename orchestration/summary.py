"""What a build produced, read from a built warehouse (the build database or
the published file): the counts the CLI prints and the publish asset records."""

from __future__ import annotations

import duckdb
import polars as pl

DEDUPLICATE = "deduplicate"  # ingest_error.stage of a report dropped as a duplicate
CONFLICT = "conflict"  # … of one left out although its numbers differ from the kept one's

COUNTS_SQL = {
    "files": "select count(*) from landing.files",
    "extractable_files": "select count(*) from landing.files where status = 'ok'",
    "reports": "select count(*) from marts.dim_report",
    "cells": "select count(*) from marts.fct_indicator_value where value_source = 'table'",
    "uncatalogued_cells": "select count(*) from marts.fct_uncatalogued_value",
    "issues": "select count(*) from marts.extraction_issue",
    "failed_files": (
        f"select count(*) from marts.ingest_error where stage not in ('{DEDUPLICATE}', '{CONFLICT}')"
    ),
    "duplicates": f"select count(*) from marts.ingest_error where stage = '{DEDUPLICATE}'",
    "conflicts": f"select count(*) from marts.ingest_error where stage = '{CONFLICT}'",
    "findings": "select count(*) from marts.consistency_finding",
}

PREVIEWS_SQL = {
    "dim_report": (
        "select source_path, source_format, template, organization, report_year, region_name "
        "from marts.dim_report order by source_path limit 10"
    ),
    "ingest_error": (
        "select source_path, stage, reason from marts.ingest_error "
        "order by stage = 'deduplicate', source_path limit 10"
    ),
}


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: con.execute(sql).fetchall()[0][0] for name, sql in COUNTS_SQL.items()}


def previews(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    return {name: con.sql(sql).pl() for name, sql in PREVIEWS_SQL.items()}


def findings_by_rule(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """How many places the reports contradict themselves, per consistency rule."""
    return con.execute(
        "select rule, count(*) from marts.consistency_finding group by rule order by 2 desc, 1"
    ).fetchall()


def ingest_errors(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(source_path, stage, reason) of every file not in the marts."""
    return con.execute(
        "select source_path, stage, reason from marts.ingest_error order by source_path"
    ).fetchall()
