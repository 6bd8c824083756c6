"""`dbt build` (seeds, models, data tests, unit tests) against a small build
database whose landing tables hold hand-written reports (tests/fixtures/landing.py)."""

import duckdb
import pytest

from orchestration.extract.model import Cell, Extraction, Identity, Issue, NarrativeFigure
from tests.fixtures.landing import Refused, dbt, write_landing

pytestmark = pytest.mark.dbt


def cell(
    code,
    value,
    locator,
    line,
    applicant="total",
    text=None,
    label="row",
    section="requests",
    unit=None,
):
    return Cell(
        section=section,
        row_label=label,
        column_label=None if applicant == "total" else applicant,
        indicator_code=code,
        applicant_type=applicant,
        value=value,
        unit=unit,
        value_text=text if text is not None else ("" if value is None else f"{value:g}"),
        source_locator=locator,
        line=line,
    )


COUNTY = Extraction(
    source_path="2020/longde.txt",
    source_sha256="a" * 64,
    source_format="text",
    template="gov2019",
    identity=Identity(
        title="隆德县2020年政府信息公开工作年度报告",
        organization="隆德县人民政府",
        report_year=2020,
        region_name="隆德县",
        region_level="county",
        region_code="640423",
        parent_region_name="固原市",
    ),
    cells=[
        cell("a_new", 19, "line 40", 40),
        cell("a_new", 10, "line 40 col 1", 40, applicant="natural_person"),
        cell("p_rules_made", None, "line 20", 20, section="proactive"),
        cell("a_new", 20, "line 90", 90),  # printed again further down: a repeat
        cell(None, 3, "line 25", 25, label="其他主动公开文件", section="proactive"),
    ],
    narrative=[
        NarrativeFigure(
            "受理政府信息公开申请19件", 19, "19", "件", False, None, "a_new", "line 8", line=8
        ),
        NarrativeFigure(
            "主动公开政府信息3200余条", 3200, "3200", "条", True, "余", None, "line 7", line=7
        ),
        NarrativeFigure(
            "未收到行政复议申请", 0, "未收到", "件", False, None, "review_total", "line 9", line=9
        ),
    ],
    line_count=120,
)

TOWNSHIP = Extraction(
    source_path="2018/jingui.pdf",  # a scanned paper copy: every page read by OCR
    source_sha256="b" * 64,
    source_format="pdf",
    template="gov2008",
    identity=Identity(
        organization="贺兰县金贵镇人民政府",
        report_year=2018,
        region_name="金贵镇",
        region_level="township",
        parent_region_name="贺兰县",
    ),
    cells=[cell("p_total", 17330, "line 50", 50, section="proactive", unit="条")],
    issues=[Issue("table", "row 收到申请数 has no value", "line 60")],
    line_count=80,
    page_count=4,
    ocr_pages=4,
)


BROKEN = Refused("2019/broken.pdf", "pdf")  # a corrupt PDF: refused at stage read


@pytest.fixture(scope="module")
def dbt_built(tmp_path_factory):
    db = tmp_path_factory.mktemp("dbt") / "disclosure.duckdb"
    write_landing(db, [COUNTY, TOWNSHIP, BROKEN])
    return dbt(db, "build"), db


@pytest.fixture(scope="module")
def con(dbt_built):
    with duckdb.connect(str(dbt_built[1]), read_only=True) as con:
        yield con


def test_dbt_build_passes_every_model_and_test(dbt_built):
    run, _ = dbt_built
    assert run.ok, (run.failures, run.process.stdout[-3000:])
    kinds = {r["unique_id"].split(".")[0] for r in run.results}
    assert {"seed", "model", "test", "unit_test"} <= kinds


def test_dim_report(con):
    rows = con.sql(
        "select source_path, template, report_year, region_level, region_code, "
        "page_count, ocr_pages from marts.dim_report order by source_path"
    ).fetchall()
    assert rows == [
        ("2018/jingui.pdf", "gov2008", 2018, "township", None, 4, 4),
        ("2020/longde.txt", "gov2019", 2020, "county", "640423", None, 0),
    ]


def value(con, code, applicant="total", source="table", path="2020/longde.txt"):
    return con.execute(
        "select f.value, f.unit, f.source_locator from marts.fct_indicator_value f "
        "join marts.dim_report r using (report_id) "
        "where r.source_path = ? and indicator_code = ? and applicant_type = ? and value_source = ?",
        [path, code, applicant, source],
    ).fetchall()


def test_fct_indicator_value(con):
    assert value(con, "a_new") == [
        (19.0, "件", "line 40")
    ]  # the first of two; unit from the catalog
    assert value(con, "a_new", "natural_person") == [(10.0, "件", "line 40 col 1")]
    assert value(con, "p_rules_made") == [(None, "件", "line 20")]  # blank stays NULL
    # The prose repeats a_new, which the table holds: no narrative value. It alone
    # states review_total, which the table lacks: that gap is filled.
    assert value(con, "a_new", source="narrative") == []
    assert value(con, "review_total", source="narrative") == [(0.0, "件", "line 9")]
    assert value(con, "p_total", path="2018/jingui.pdf") == [(17330.0, "条", "line 50")]


def test_repeats_and_extractor_issues_are_listed(con):
    rows = con.sql(
        "select source_path, stage, reason, source_locator from marts.extraction_issue "
        "order by source_path"
    ).fetchall()
    assert rows[0] == ("2018/jingui.pdf", "table", "row 收到申请数 has no value", "line 60")
    path, stage, reason, locator = rows[1]
    assert (path, stage, locator) == ("2020/longde.txt", "table", "line 90")
    assert "a_new [total]: 20" in reason and "line 40" in reason


def test_nothing_printed_is_lost(con):
    assert con.sql("select row_label, value from marts.fct_uncatalogued_value").fetchall() == [
        ("其他主动公开文件", 3.0)
    ]
    assert con.sql(
        "select value, is_approximate, qualifier from marts.fct_narrative_figure "
        "where indicator_code is null"
    ).fetchall() == [(3200.0, True, "余")]
    assert con.sql("select source_path, stage from marts.ingest_error").fetchall() == [
        ("2019/broken.pdf", "read")
    ]


def test_dim_indicator_has_one_row_per_code(con):
    n_codes = con.execute("select count(distinct code) from seeds.indicators").fetchone()[0]
    assert con.execute("select count(*) from marts.dim_indicator").fetchone()[0] == n_codes
    assert con.execute(
        "select templates, label_zh from marts.dim_indicator where indicator_code = 'review_total'"
    ).fetchone() == ("gov2008+gov2019+gov2021", "行政复议 总计")


def test_a_null_key_is_refused_when_the_row_is_written(tmp_path):
    """The tables' keys are not-null constraints of their contracts: DuckDB refuses
    the row, and the model fails naming the column."""
    db = tmp_path / "disclosure.duckdb"
    write_landing(db, [COUNTY, TOWNSHIP, BROKEN])
    with duckdb.connect(str(db)) as con:
        con.execute("update landing.extraction_issues set reason = null")
    run = dbt(db, "build", "--exclude", "test_type:unit")
    failed = {uid.split(".")[-1]: (status, message) for uid, status, message in run.failures}
    status, message = failed["extraction_issue"]
    assert status == "error"
    assert "NOT NULL constraint failed: extraction_issue.reason" in message
