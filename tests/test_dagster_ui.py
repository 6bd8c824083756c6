"""What the Dagster UI shows after a build, read through its GraphQL API: a
`disclosure build` recorded in a DAGSTER_HOME, then `dagster-webserver` over
that instance and this project's workspace.yaml."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.settings import ENV_RAW, ENV_WAREHOUSE, PROJECT_ROOT

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent

ASSETS = """
{ assetNodes {
    assetKey { path } groupName isObservable
    assetMaterializations(limit: 1) {
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on UrlMetadataEntry { url }
        ... on PathMetadataEntry { path }
        ... on MarkdownMetadataEntry { mdStr }
        ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
        ... on TableMetadataEntry { table { records } }
      }
    }
} }
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    """(GraphQL port, env) of a webserver over an instance that recorded one build."""
    root = tmp_path_factory.mktemp("ui")
    shutil.copytree(PROJECT_ROOT / "raw", root / "raw")
    (root / "home").mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DISCLOSURE_") and k != "DAGSTER_HOME"
    }
    env.update(
        {
            "DAGSTER_HOME": str(root / "home"),
            ENV_RAW: str(root / "raw"),
            ENV_WAREHOUSE: str(root / "warehouse" / "disclosure.duckdb"),
        }
    )
    build = subprocess.run(
        [str(BIN / "disclosure"), "build", "--no-progress"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if _graphql(port, "{ version }")["version"]:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(1)
        yield port, env
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def nodes(ui):
    port, _ = ui
    found = _graphql(port, ASSETS)["assetNodes"]
    return {"/".join(n["assetKey"]["path"]): n for n in found}


def _latest(node) -> dict:
    (mat,) = node["assetMaterializations"]
    return {e["label"]: e for e in mat["metadataEntries"]}


def test_every_dbt_model_has_a_row_count_and_typed_columns(nodes):
    dbt_nodes = {k: n for k, n in nodes.items() if n["groupName"] in ("staging", "marts", "seeds")}
    assert len(dbt_nodes) > 30
    for key, node in dbt_nodes.items():
        meta = _latest(node)
        assert meta["dagster/row_count"]["intValue"] >= 0, key
        columns = meta["dagster/column_schema"]["schema"]["columns"]
        assert columns and all(c["type"] for c in columns), key
        assert meta["dbt_docs"]["url"].startswith("file://"), key
    report = _latest(nodes["marts/dim_report"])
    assert report["dagster/row_count"]["intValue"] == 5
    columns = {c["name"]: c for c in report["dagster/column_schema"]["schema"]["columns"]}
    assert columns["report_year"]["type"] == "INTEGER"
    assert columns["report_id"]["description"]


def test_the_raw_folder_is_an_observable_source(nodes):
    assert nodes["raw_folder"]["isObservable"]


def test_published_warehouse_links_its_file_and_previews(nodes, ui):
    _, env = ui
    meta = _latest(nodes["published_warehouse"])
    assert meta["path"]["path"] == env[ENV_WAREHOUSE]
    records = [json.loads(r) for r in meta["preview/dim_report"]["table"]["records"]]
    assert len(records) == 5 and "organization" in records[0]


def test_published_warehouse_links_its_charts_page_and_shows_the_key_chart(nodes, ui):
    _, env = ui
    meta = _latest(nodes["published_warehouse"])
    page = Path(meta["report_page"]["path"])
    assert page == Path(env[ENV_WAREHOUSE]).with_suffix(".html") and page.exists()
    assert "<svg" in page.read_text(encoding="utf-8")
    assert meta["report_chart"]["mdStr"].startswith("![chart](data:image/png;base64,")
    assert meta["report_page/reports"]["intValue"] == 5
