"""The built warehouse against the hand-checked gold of the five seed reports,
read through the mart contract (the same reading as score_gold.py)."""

import csv
import math
from pathlib import Path, PurePath

import duckdb
import pytest

pytestmark = pytest.mark.e2e

GOLD = Path(__file__).parent / "gold"


@pytest.fixture(scope="module")
def con(built_warehouse):
    c = duckdb.connect(str(built_warehouse), read_only=True)
    yield c
    c.close()


def test_every_gold_cell_through_the_marts(con):
    reports = {
        PurePath(p).stem: rid
        for rid, p in con.execute("select report_id, source_path from marts.dim_report").fetchall()
    }
    facts = {}
    for rid, code, app, val in con.execute(
        "select report_id, indicator_code, applicant_type, value from marts.fct_indicator_value where value_source = 'table'"
    ).fetchall():
        assert (rid, code, app) not in facts, "one cell per key"
        facts[(rid, code, app)] = val
    wrong, n = [], 0
    for g in csv.DictReader(open(GOLD / "seed_values.csv", encoding="utf-8")):
        n += 1
        got = facts.get((reports[g["report"]], g["code"], g["applicant_type"]))
        if g["value"] == "":
            ok = got is None
        else:
            ok = got is not None and math.isclose(got, float(g["value"]))
        if not ok:
            wrong.append((g["report"], g["code"], g["applicant_type"], g["value"], got))
    assert n == 430 and wrong == []


def test_every_gold_identity_field(con):
    rows = con.execute(
        "select source_path, template, report_year, organization, region_name, region_level,"
        " coalesce(region_code, ''), parent_region_name from marts.dim_report"
    ).fetchall()
    got = {PurePath(r[0]).stem: tuple(str(v) for v in r[1:]) for r in rows}
    for g in csv.DictReader(open(GOLD / "seed_reports.csv", encoding="utf-8")):
        assert got[g["report"]] == (
            g["template"],
            g["year"],
            g["organization"],
            g["region"],
            g["region_level"],
            g["region_code"],
            g["parent_region"],
        )


def test_values_trace_back_to_a_line_and_the_text_found_there(con, built_warehouse_dirs):
    raw, _ = built_warehouse_dirs
    rows = con.execute(
        "select r.source_path, f.source_locator, f.source_text from marts.fct_indicator_value f"
        " join marts.dim_report r using (report_id) where f.value_source = 'table' and f.value is not null"
    ).fetchall()
    assert len(rows) > 400
    for path, locator, text in rows:
        line = int(locator.removeprefix("line "))
        assert text in (raw / path).read_text(encoding="utf-8").splitlines()[line - 1]


# A second build giving the same warehouse (every mart, row for row) and parsing
# nothing: tests/test_incremental.py, with changed and deleted files as well.
