"""The Dagster definitions load and the asset graph connects end to end:
landing.files → landing.* → staging → marts → published_warehouse."""

import dagster as dg
import pytest

from orchestration.definitions import defs

pytestmark = pytest.mark.unit

LANDING = ["reports", "cells", "extraction_issues", "narrative_figures", "ingest_errors"]
STAGING = {
    "stg_landing__reports": "reports",
    "stg_landing__cells": "cells",
    "stg_landing__extraction_issues": "extraction_issues",
    "stg_landing__ingest_errors": "ingest_errors",
    "stg_landing__narrative_figures": "narrative_figures",
}
MARTS = [
    "collect_failure",
    "dim_report",
    "dim_indicator",
    "fct_indicator_value",
    "fct_uncatalogued_value",
    "fct_narrative_figure",
    "extraction_issue",
    "ingest_error",
    "dim_region",
    "region_year_indicator",
    "region_year_summary",
    "consistency_finding",
]


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def parents(graph, *path):
    return {k.to_user_string() for k in graph.get(dg.AssetKey(list(path))).parent_keys}


def test_definitions_validate():
    dg.Definitions.validate_loadable(defs)


def test_landing_tables_come_from_the_file_list(graph):
    assert graph.get(dg.AssetKey("raw_folder")).is_observable  # a source: observed, not built
    assert {
        k.to_user_string() for k in graph.get(dg.AssetKey(["landing", "files"])).parent_keys
    } == {"raw_folder"}
    # the partitions of landing/extractions parse from the file list too
    assert parents(graph, "landing", "extractions") == {"landing/files"}
    for name in LANDING:
        assert parents(graph, "landing", name) == {"landing/files", "landing/extractions"}


def test_staging_models_read_the_landing_assets(graph):
    for model, table in STAGING.items():
        assert f"landing/{table}" in parents(graph, "staging", model)
    assert parents(graph, "staging", "stg_seeds__indicator_labels") == {"seeds/indicators"}


def test_marts_are_tables_in_group_marts(graph):
    for mart in MARTS:
        node = graph.get(dg.AssetKey(["marts", mart]))
        assert node.group_name == "marts"
        assert parents(graph, "marts", mart), mart
        assert all(
            p.startswith(("staging/", "marts/", "seeds/")) for p in parents(graph, "marts", mart)
        )


def test_published_warehouse_waits_for_every_mart(graph):
    assert parents(graph, "published_warehouse") == {f"marts/{m}" for m in MARTS}


def test_lineage_runs_from_files_to_the_published_warehouse(graph):
    seen, todo = set(), [dg.AssetKey("published_warehouse")]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    assert dg.AssetKey(["landing", "files"]) in seen
    assert {dg.AssetKey(["landing", t]) for t in LANDING} <= seen


def test_dbt_tests_are_asset_checks(graph):
    checks = {k.name for k in graph.asset_check_keys}
    assert "unique_dim_report_report_id" in checks
    assert any(
        name.startswith("relationships_fct_indicator_value_indicator_code") for name in checks
    )


def test_build_job_selects_everything_and_runs_in_one_process():
    job = defs.resolve_job_def("build_warehouse")
    assert job.executor_def is dg.in_process_executor
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {
        "landing/files",
        "landing/cells",
        "marts/fct_indicator_value",
        "published_warehouse",
    } <= keys
