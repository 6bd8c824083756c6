"""The asset graph runs one way: landing and seeds → staging (the stg_ and int_
models, group staging) → marts → published_warehouse, never back. In dbt's
terms: staging models read sources and seeds, intermediate models read
staging and intermediate models, marts read staging, intermediate and other
marts; no staging or intermediate model reads a mart."""

import json
from pathlib import PurePosixPath

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.project import dbt_project

pytestmark = pytest.mark.unit

# The order of the asset groups: an asset reads only assets of its own group or
# of an earlier one (collect fetches reports into the raw folder, before landing).
# A new group takes its place here.
GROUP_RANK = {"collect": 0, "landing": 0, "seeds": 0, "staging": 1, "marts": 2, "publish": 3}

# The layer (models/<folder>) or resource type each dbt layer may read.
MAY_READ = {
    "staging": {"source", "seed"},
    "intermediate": {"seed", "staging", "intermediate"},
    "marts": {"seed", "staging", "intermediate", "marts"},
}


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def manifest():
    return json.loads(dbt_project.manifest_path.read_text())


def _edges(graph):
    for key in graph.get_all_asset_keys():
        for parent in graph.get(key).parent_keys:
            yield parent, key


def test_every_asset_is_in_a_known_group(graph):
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups <= set(GROUP_RANK), groups - set(GROUP_RANK)
    assert {"staging", "marts"} <= groups


def test_no_edge_goes_back_from_marts_to_staging_or_intermediate(graph):
    back = [
        (parent.to_user_string(), child.to_user_string())
        for parent, child in _edges(graph)
        if graph.get(parent).group_name == "marts"
        and graph.get(child).group_name in ("landing", "seeds", "staging")
    ]
    assert back == []


def test_every_edge_runs_forward(graph):
    backward = [
        (parent.to_user_string(), child.to_user_string())
        for parent, child in _edges(graph)
        if GROUP_RANK[graph.get(parent).group_name] > GROUP_RANK[graph.get(child).group_name]
    ]
    assert backward == []


def test_findings_are_computed_from_intermediate_models(graph):
    finding = graph.get(dg.AssetKey(["marts", "consistency_finding"]))
    # and the reports its ledger records (incremental by report)
    parents = {k.to_user_string() for k in finding.parent_keys} - {"staging/stg_landing__reports"}
    assert parents and all(p.startswith("staging/int_findings__") for p in parents), parents
    # and nothing upstream of them is a mart
    seen, todo = set(), list(finding.parent_keys)
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(graph.get(key).parent_keys)
    assert not [k.to_user_string() for k in seen if graph.get(k).group_name == "marts"]


def _layer(node: dict) -> str:
    if node["resource_type"] != "model":
        return node["resource_type"]
    folder = PurePosixPath(node["original_file_path"]).parts
    assert folder[0] == "models" and folder[1] in MAY_READ, node["original_file_path"]
    return folder[1]


def test_no_staging_or_intermediate_model_refs_a_mart(manifest):
    nodes = {**manifest["nodes"], **manifest["sources"]}
    refs_to_marts = [
        (node["name"], nodes[parent]["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and _layer(node) in ("staging", "intermediate")
        for parent in node["depends_on"]["nodes"]
        if _layer(nodes[parent]) == "marts"
    ]
    assert refs_to_marts == []


def test_each_dbt_layer_reads_only_the_layers_before_it(manifest):
    nodes = {**manifest["nodes"], **manifest["sources"]}
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert {_layer(n) for n in models} == set(MAY_READ)
    wrong = [
        (node["name"], nodes[parent]["name"])
        for node in models
        for parent in node["depends_on"]["nodes"]
        if _layer(nodes[parent]) not in MAY_READ[_layer(node)]
    ]
    assert wrong == []
