"""What a run tells: asset metadata in Dagster, progress and summary on the console."""

import io

import pytest
from rich.console import Console

from orchestration import progress
from orchestration.console_progress import BuildProgress


def metadata(result, node, key):
    for mat in result.asset_materializations_for_node(node):
        if mat.asset_key.to_user_string() == key:
            return {k: v.value for k, v in mat.metadata.items()}
    raise AssertionError(f"no materialization of {key}")


@pytest.mark.e2e
def test_landing_metadata_counts_the_run(built_warehouse_run):
    *_, result = built_warehouse_run
    meta = metadata(result, "landing_extraction", "landing/reports")
    assert meta["files"] == meta["reports"] == 5
    assert meta["parsed_now"] + meta["reused_from_cache"] == 5
    assert meta["failed"] == 0 and meta["cells"] > 400 and "issues" in meta
    assert meta["parsed_files"].count("- `") == meta["parsed_now"]


@pytest.mark.e2e
def test_published_warehouse_metadata_counts_and_previews_the_marts(built_warehouse_run):
    *_, result = built_warehouse_run
    meta = metadata(result, "published_warehouse", "published_warehouse")
    assert meta["reports"] == 5 and meta["cells"] == 430
    assert meta["failed_files"] == 0 and meta["duplicates"] == 0 and "issues" in meta
    assert meta["rows/marts.dim_report"] == 5
    preview = meta["preview/dim_report"]  # table metadata: typed columns, one record a row
    types = {c.name: c.type for c in preview.schema.columns}
    assert types["organization"] == "String" and types["report_year"] == "Int32"
    assert len(preview.records) == 5
    assert "隆德县人民政府" in [r.data["organization"] for r in preview.records]


def emit_a_run():
    progress.emit("stage", name="discover")
    progress.emit("extract", files=3, to_parse=2, cached=1)
    progress.emit("file", path="a.pdf", ok=True, reason=None)
    progress.emit("file", path="[b].pdf", ok=False, reason="encrypted PDF")
    progress.emit("stage", name="dbt", total=2)
    progress.emit("dbt", name="dim_report")
    progress.emit("dbt", name="unique_dim_report_report_id", passed=True)
    progress.emit("stage", name="publish")


@pytest.mark.unit
def test_plain_progress_is_one_line_per_file():
    out = io.StringIO()
    display = BuildProgress(Console(file=out, width=200), live=False)
    with display, progress.listening(display):
        emit_a_run()
    lines = out.getvalue().splitlines()
    assert "extract: 3 files, 2 to parse, 1 from the cache" in lines
    assert "extract [1/2] a.pdf: ok" in lines
    assert "extract [2/2] [b].pdf: FAILED: encrypted PDF" in lines
    assert "dbt [2/2]" in lines
    assert display.failed == 1


@pytest.mark.unit
def test_live_progress_draws_bars_on_a_terminal():
    out = io.StringIO()
    display = BuildProgress(Console(file=out, force_terminal=True, width=120), live=True)
    with display, progress.listening(display):
        emit_a_run()
    text = out.getvalue()
    assert "parsing (1 from cache)" in text and "1 failed" in text and "2/2" in text


@pytest.mark.unit
def test_a_failing_listener_never_fails_the_build():
    def broken(kind, fields):
        raise RuntimeError("display gone")

    with progress.listening(broken):
        progress.emit("file", path="a.pdf", ok=True)  # no exception
