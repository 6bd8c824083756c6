"""bench.landing_scale: synthetic landing tables in the project's schemas."""

import polars as pl
import pytest

from bench import landing_scale
from orchestration.extract.model import LANDING_SCHEMAS, report_id_for
from orchestration.ingest.extraction import INGEST_ERRORS_SCHEMA
from orchestration.ingest.files import FILES_SCHEMA
from orchestration.ingest.landing import read_table

pytestmark = pytest.mark.unit

N = 50


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = tmp_path_factory.mktemp("landing") / "build.duckdb"
    landing_scale.generate(db, N, seed=3)
    return db


def tables(db) -> dict[str, pl.DataFrame]:
    names = [*LANDING_SCHEMAS, "files", "ingest_errors", "divisions"]
    return {name: read_table(db, name) for name in names}


def test_every_table_has_its_schema(built):
    got = tables(built)
    expected = {**LANDING_SCHEMAS, "files": FILES_SCHEMA, "ingest_errors": INGEST_ERRORS_SCHEMA}
    for name, schema in expected.items():
        assert dict(got[name].schema) == schema, name
    assert got["reports"].height == N
    assert got["cells"].height > 50 * N
    assert got["narrative_figures"].height > 0
    assert not got["divisions"].is_empty()


def test_reports_are_distinct_and_tied_to_their_rows(built):
    got = tables(built)
    reports = got["reports"]
    assert reports["report_id"].is_unique().all()
    assert reports.select("organization", "report_year").is_unique().all()
    assert reports["report_id"].to_list() == [report_id_for(p) for p in reports["source_path"]]
    ids = set(reports["report_id"])
    for name in ("cells", "extraction_issues", "narrative_figures"):
        assert set(got[name]["report_id"]) <= ids, name
    ok = got["files"].filter(pl.col("status") == "ok")
    failed = set(got["ingest_errors"]["source_path"])
    assert set(ok["source_path"]) - failed == set(reports["source_path"])
    # Every region is a division of the table dbt joins it to.
    codes = set(got["divisions"]["region_code"])
    assert set(reports["region_code"]) <= codes
    assert reports["region_level"].is_in(["prefecture", "county"]).all()


def test_templates_fit_the_years(built):
    reports = tables(built)["reports"]
    for template, (first, last) in landing_scale.TEMPLATE_YEARS.items():
        years = reports.filter(pl.col("template") == template)["report_year"]
        assert years.is_between(first, last).all(), template
    assert reports["report_year"].is_between(2008, 2024).all()


def test_values_keep_the_printed_text(built):
    cells = tables(built)["cells"].filter(pl.col("value").is_not_null() & (pl.col("value") >= 0))
    number = cells["value_text"].str.extract(r"(\d+(?:\.\d+)?)").cast(pl.Float64)
    assert (number - cells["value"]).abs().max() < 1e-9


def test_deterministic_for_a_seed(built, tmp_path):
    again = tmp_path / "again.duckdb"
    landing_scale.generate(again, N, seed=3)
    first, second = tables(built), tables(again)
    for name in first:
        assert first[name].equals(second[name]), name
    other = tmp_path / "other.duckdb"
    landing_scale.generate(other, N, seed=4)
    assert not tables(other)["reports"]["source_path"].equals(first["reports"]["source_path"])


def test_first_reports_of_a_larger_run_and_add_one(built, tmp_path):
    small = landing_scale.plan(3, N)
    large = landing_scale.plan(3, N + 1)
    assert large.head(N).equals(small)
    db = tmp_path / "plus_one.duckdb"
    landing_scale.generate(db, N, seed=3)
    landing_scale.add_one(db, N, seed=3)
    bigger = tmp_path / "bigger.duckdb"
    landing_scale.generate(bigger, N + 1, seed=3)
    for name in ("reports", "cells", "narrative_figures", "extraction_issues"):
        got, want = read_table(db, name), read_table(bigger, name)
        columns = list(LANDING_SCHEMAS[name])
        assert got.sort(columns, nulls_last=True).equals(want.sort(columns, nulls_last=True)), name


def test_change_one_changes_one_report(built, tmp_path):
    db = tmp_path / "changed.duckdb"
    landing_scale.generate(db, N, seed=3)
    landing_scale.change_one(db, N, seed=3)
    before, after = tables(built), tables(db)
    changed = set(
        after["reports"].join(
            before["reports"], on=list(LANDING_SCHEMAS["reports"]), how="anti", nulls_equal=True
        )["report_id"]
    )
    assert len(changed) == 1
    cells = ["report_id", "row_label", "column_label", "value"]
    differ = (
        after["cells"]
        .select(cells)
        .join(before["cells"].select(cells), on=cells, how="anti", nulls_equal=True)
    )
    assert set(differ["report_id"]) <= changed
    assert after["cells"].height == before["cells"].height
