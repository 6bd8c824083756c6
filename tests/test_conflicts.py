"""Two files naming the same organization and year, through `disclosure build`
and the real extractor: a copy with the same table values is a duplicate, a
copy with one table number changed is a conflict, listed in marts.ingest_error
(stage 'conflict') with one consistency finding (rule duplicate_conflict) for
the changed cell. The rules: int_reports__deduplicated and
int_reports__value_differences in dbt_project/models/intermediate."""

import re

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

[SEED] = sorted((PROJECT_ROOT / "raw").glob("001_*.txt"))  # 隆德县人民政府, 2020
KEPT = "a/longde-2020.txt"  # the seed itself; the first path of three equals
COPY = "b/longde-2020-copy.txt"  # the seed and a blank line: other bytes, same values
CHANGED = "c/longde-2020-revised.txt"  # 行政处罚 处理决定数量 236 -> 263
PENALTY_ROW = re.compile(r"^(行政处罚\t45\t-10\t)236$", re.MULTILINE)


def write_raw(raw):
    text = SEED.read_text(encoding="utf-8")
    changed, n = PENALTY_ROW.subn(r"\g<1>263", text)
    assert n == 1, "the seed's 行政处罚 row is no longer `行政处罚 45 -10 236`"
    for path, content in ((KEPT, text), (COPY, text + "\n"), (CHANGED, changed)):
        (raw / path).parent.mkdir(parents=True, exist_ok=True)
        (raw / path).write_text(content, encoding="utf-8")
    return raw


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings_env):
    root = tmp_path_factory.mktemp("conflicts")
    raw = write_raw(root / "raw")
    warehouse = root / "warehouse" / "disclosure.duckdb"
    with pytest.MonkeyPatch.context() as mp, settings_env(raw, warehouse):
        mp.delenv("DAGSTER_HOME", raising=False)  # an ephemeral instance
        result = CliRunner().invoke(
            main, ["build", "--raw", str(raw), "--warehouse", str(warehouse)]
        )
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(warehouse), read_only=True)
    yield result, con
    con.close()


@pytest.fixture(scope="module")
def report_ids(built):
    _, con = built
    return dict(con.execute("select source_path, report_id from landing.reports").fetchall())


def test_the_three_files_are_one_report(built):
    _, con = built
    kept = con.execute(
        "select source_path, organization, report_year from marts.dim_report"
    ).fetchall()
    assert kept == [(KEPT, "隆德县人民政府", 2020)]
    value = con.execute(
        "select value from marts.fct_indicator_value"
        " where indicator_code = 'p_penalty_decisions' and applicant_type = 'total'"
    ).fetchall()
    assert value == [(236.0,)]  # the kept file's number


def test_the_same_values_in_other_bytes_are_a_duplicate(built):
    _, con = built
    [(stage, reason, duplicate_of)] = con.execute(
        "select stage, reason, duplicate_of from marts.ingest_error where source_path = ?", [COPY]
    ).fetchall()
    assert (stage, duplicate_of) == ("deduplicate", KEPT)
    assert reason.startswith(f"same report as {KEPT} (隆德县人民政府, 2020), which is kept")


def test_a_changed_number_is_a_conflict_naming_the_file_kept(built):
    _, con = built
    [(stage, reason, duplicate_of)] = con.execute(
        "select stage, reason, duplicate_of from marts.ingest_error where source_path = ?",
        [CHANGED],
    ).fetchall()
    assert (stage, duplicate_of) == ("conflict", KEPT)
    assert reason.startswith(f"same organization and year as {KEPT} (隆德县人民政府, 2020)")
    assert "1 table value differs" in reason and "duplicate_conflict" in reason


def test_the_finding_lists_exactly_the_changed_cell_with_both_values(built, report_ids):
    _, con = built
    findings = con.execute(
        "select report_id, related_report_id, indicator_code, applicant_type,"
        " expected, actual, difference, source_locator, cells, rule_description"
        " from marts.consistency_finding where rule = 'duplicate_conflict'"
    ).fetchall()
    assert len(findings) == 1
    kept, related, code, applicant, expected, actual, diff, locator, cells, desc = findings[0]
    assert (kept, related) == (report_ids[KEPT], report_ids[CHANGED])
    assert (code, applicant) == ("p_penalty_decisions", "total")
    assert (expected, actual, diff) == (236.0, 263.0, 27.0)
    assert locator == "line 49"
    assert cells == (
        f"p_penalty_decisions: 236 in {KEPT} at line 49 (kept)"
        f" vs 263 in {CHANGED} at line 49 (left out)"
    )
    assert "same organization and report year" in desc


def test_the_duplicate_gives_no_finding_and_no_difference(built, report_ids):
    _, con = built
    rows = con.execute(
        "select count(*) from staging.int_reports__value_differences"
        " where ? in (report_id, other_report_id) and ? in (report_id, other_report_id)",
        [report_ids[KEPT], report_ids[COPY]],
    ).fetchone()
    assert rows == (0,)
    resolutions = dict(
        con.execute(
            "select source_path, resolution from staging.int_reports__deduplicated"
        ).fetchall()
    )
    assert resolutions == {KEPT: "kept", COPY: "duplicate", CHANGED: "conflict"}


def test_the_build_summary_lists_both_files_left_out(built):
    result, _ = built
    lines = result.output.splitlines()
    assert any("duplicate reports (left out)" in line for line in lines)
    assert any(COPY in line and "deduplicate" in line for line in lines)
    assert any(CHANGED in line and "conflict" in line for line in lines)
    assert any("duplicate_conflict" in line and "1" in line for line in lines)
