"""Models incremental by report (dbt_project/macros/incremental_by_report.sql).

A sequence of landing states (reports added, changed, deleted, a copy of a
report that takes over from the file kept, a report whose identity moves) is
built incrementally, one dbt run after another on one build database; after
each step every mart, and every intermediate model incremental by report,
equals what a `--full-refresh` run builds from the same landing. Then an incremental run is shown to leave the rows of reports
nothing changed near alone, and a full refresh to rebuild them."""

import shutil

import duckdb
import pytest

from orchestration.extract.model import Cell, Extraction, Identity, NarrativeFigure
from orchestration.incremental import WHOLE_PROJECT_VARS
from tests.fixtures.landing import dbt, write_landing
from tests.fixtures.warehouse import mart_rows, table_rows

pytestmark = pytest.mark.dbt

INCREMENTAL = (
    "consistency_finding",
    "extraction_issue",
    "fct_indicator_value",
    "fct_narrative_figure",
    "fct_uncatalogued_value",
    "int_findings__duplicate_conflicts",
    "int_findings__narrative",
    "int_findings__report_pairs",
    "int_findings__table_equations",
    "int_indicator_values__kept",
    "int_indicator_values__ranked",
    "int_reports__deduplicated",
    "int_reports__value_differences",
    "region_year_indicator",
)


def built_rows(path) -> dict[str, list[tuple]]:
    """The rows of the marts and of the intermediate tables."""
    staging = {f"staging.{t}": rows for t, rows in table_rows(path, "staging").items()}
    return mart_rows(path) | staging


def ledgers_behind(path) -> list[str]:
    """The incremental models whose ledger (build_state.<model>) is not landing's
    reports as they are now: after a run, none."""
    columns = "report_id, source_sha256, extractor_version, organization, report_year, "
    columns += "region_code, region_name"
    with duckdb.connect(str(path), read_only=True) as con:
        now = con.execute(f"select {columns} from staging.stg_landing__reports order by all")
        now = now.fetchall()
        return [
            model
            for model in INCREMENTAL
            if con.execute(f"select {columns} from build_state.{model} order by all").fetchall()
            != now
        ]


def cell(code, value, line, label="row", section="requests"):
    return Cell(
        section=section,
        row_label=label,
        column_label=None,
        indicator_code=code,
        applicant_type="total",
        value=value,
        unit=None,
        value_text="" if value is None else f"{value:g}",
        source_locator=f"line {line}",
        line=line,
    )


def report(path, organization, year, region, code, values, *, fmt="text", figure=None):
    """A gov2019 report: a_new, a_granted and an uncatalogued row; `figure`, a
    number its prose gives for a_new."""
    a_new, granted = values
    return Extraction(
        source_path=path,
        source_sha256="0" * 64,
        source_format=fmt,
        template="gov2019",
        identity=Identity(
            title=f"{organization}{year}年政府信息公开工作年度报告",
            organization=organization,
            report_year=year,
            region_name=region,
            region_level="county",
            region_code=code,
        ),
        cells=[
            cell("a_new", a_new, 40),
            cell("a_granted", granted, 42),
            cell("a_carried_in", 0, 41),
            cell(None, 5, 25, label="其他文件", section="proactive"),
        ],
        narrative=[]
        if figure is None
        else [
            NarrativeFigure(
                f"受理申请{figure}件",
                figure,
                str(figure),
                "件",
                False,
                None,
                "a_new",
                "line 8",
                line=8,
            )
        ],
        line_count=100,
    )


LONGDE_2020 = report(
    "2020/longde.txt", "隆德县人民政府", 2020, "隆德县", "640423", (19, 10), figure=19
)
LONGDE_2019 = report("2019/longde.txt", "隆德县人民政府", 2019, "隆德县", "640423", (12, 6))
XIJI_2020 = report("2020/xiji.txt", "西吉县人民政府", 2020, "西吉县", "640422", (7, 3), figure=8)
YUANZHOU_2018 = report("2018/yuanzhou.txt", "原州区人民政府", 2018, "原州区", "640402", (4, 4))
# The same report as a PDF with a value more: kept instead of the text file.
LONGDE_2020_PDF = report(
    "2020/longde.pdf", "隆德县人民政府", 2020, "隆德县", "640423", (19, 11), fmt="pdf"
)
LONGDE_2020_PDF.cells.append(cell("a_withdrawn", 1, 44))

STEPS = {
    "first build": [LONGDE_2020, LONGDE_2019, XIJI_2020, YUANZHOU_2018],
    "a copy that takes over": [LONGDE_2020, LONGDE_2019, XIJI_2020, YUANZHOU_2018, LONGDE_2020_PDF],
    "values changed, the previous year too": [
        LONGDE_2020,
        report("2019/longde.txt", "隆德县人民政府", 2019, "隆德县", "640423", (15, 6)),
        report("2020/xiji.txt", "西吉县人民政府", 2020, "西吉县", "640422", (8, 3), figure=8),
        YUANZHOU_2018,
        LONGDE_2020_PDF,
    ],
    "deleted, the copy too": [
        LONGDE_2020,
        report("2019/longde.txt", "隆德县人民政府", 2019, "隆德县", "640423", (15, 6)),
        report("2020/xiji.txt", "西吉县人民政府", 2020, "西吉县", "640422", (8, 3), figure=8),
    ],
    "an identity that moves": [
        LONGDE_2020,
        # read again as the 2019 report of another county
        report("2019/longde.txt", "西吉县人民政府", 2019, "西吉县", "640422", (15, 6)),
        report("2020/xiji.txt", "西吉县人民政府", 2020, "西吉县", "640422", (8, 3), figure=8),
    ],
}


# Seeds and models, without the tests (the last test runs those).
RUN = ("build", "--exclude", "resource_type:test", "resource_type:unit_test")


@pytest.fixture(scope="module")
def sequence(tmp_path_factory):
    """(step, incremental marts, full-refresh marts) after each step."""
    db = tmp_path_factory.mktemp("incremental") / "disclosure.duckdb"
    out = []
    for step, files in STEPS.items():
        write_landing(db, files)
        full = tmp_path_factory.mktemp("full") / "disclosure.duckdb"
        shutil.copy(db, full)
        for target, args in ((db, RUN), (full, (*RUN, "--full-refresh"))):
            run = dbt(target, *args)
            assert run.ok, (step, run.failures, run.process.stdout[-3000:])
        out.append((step, built_rows(db), built_rows(full), ledgers_behind(db)))
    return db, out


def test_incremental_marts_equal_a_full_refresh_after_every_step(sequence):
    _, steps = sequence
    for step, incremental, full, _ in steps:
        assert incremental.keys() == full.keys()
        intermediate = {t for t in incremental if t.startswith("staging.")}
        assert intermediate == {f"staging.{t}" for t in INCREMENTAL if t.startswith("int_")}
        for table in incremental:
            assert incremental[table] == full[table], (step, table)


def test_each_ledger_is_landing_after_every_step(sequence):
    """An incremental run replaces the ledger rows of the reports it rebuilt and
    leaves the others: every ledger then holds landing's reports as they are."""
    _, steps = sequence
    assert [(step, behind) for step, *_, behind in steps if behind] == []


def test_each_step_changes_what_it_should(sequence):
    """The steps are not no-ops: the kept copy, the values and the findings move."""
    _, steps = sequence
    by_step = {step: m for step, m, *_ in steps}
    values = {
        step: sorted((r[0], r[1], r[3]) for r in m["fct_indicator_value"] if r[1] == "a_withdrawn")
        for step, m in by_step.items()
    }
    assert values["first build"] == []
    assert len(values["a copy that takes over"]) == 1  # the PDF's value: the PDF is kept
    assert values["deleted, the copy too"] == []
    findings = {step: len(m["consistency_finding"]) for step, m in by_step.items()}
    assert findings["first build"] >= 1  # 西吉县 says 8 in its prose, 7 in its table
    errors = {step: len(m["ingest_error"]) for step, m in by_step.items()}
    assert errors["a copy that takes over"] == 1  # the text file, left out for the PDF
    assert errors["deleted, the copy too"] == 0


def test_the_build_passes_its_tests_on_incremental_marts(sequence):
    db, _ = sequence
    run = dbt(db, "build", "--exclude", "test_type:unit")
    assert run.ok, (run.failures, run.process.stdout[-3000:])


def altered_far_then_changed(sequence, tmp_path, alteration: str):
    """A copy of the sequence's database with 原州区's 2018 report built too,
    its rows in fct_indicator_value altered by hand (`set <alteration> and ...`),
    then 隆德县's 2020 report changed in landing, another county: the next run
    has nothing to rebuild near 原州区."""
    db = tmp_path / "disclosure.duckdb"
    shutil.copy(sequence[0], db)
    files = [*STEPS["deleted, the copy too"], YUANZHOU_2018]
    write_landing(db, files)
    assert dbt(db, *RUN).ok
    with duckdb.connect(str(db)) as con:
        con.execute(
            f"update marts.fct_indicator_value set {alteration} "
            "and report_id = (select report_id from marts.dim_report "
            "where source_path = '2018/yuanzhou.txt')"
        )
    files[0] = report("2020/longde.txt", "隆德县人民政府", 2020, "隆德县", "640423", (20, 10))
    write_landing(db, files)
    return db


def test_unrelated_reports_are_left_alone_until_a_full_refresh(sequence, tmp_path):
    """An incremental run rebuilds the rows of the reports near a change only: a
    row of another county's report altered in the mart stays altered (it was not
    rewritten); `--full-refresh` rebuilds it from landing."""
    db = altered_far_then_changed(sequence, tmp_path, "value = -1 where indicator_code = 'a_new'")

    def a_new(path):
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(
                "select value from marts.fct_indicator_value join marts.dim_report "
                "using (report_id) where source_path = ? and indicator_code = 'a_new'",
                [path],
            ).fetchall()

    assert dbt(db, *RUN).ok
    assert a_new("2020/longde.txt") == [(20.0,)]  # rebuilt: changed
    assert a_new("2018/yuanzhou.txt") == [(-1.0,)]  # left alone: nothing changed near it
    assert dbt(db, *RUN, "--full-refresh").ok
    assert a_new("2018/yuanzhou.txt") == [(4.0,)]


def test_the_tests_check_the_rows_rebuilt(sequence, tmp_path):
    """With the vars of an incremental `disclosure build`, a test that checks a
    row apart from the others, on a model incremental by report, reads the
    rows of the reports the run rebuilt: a wrong applicant type in the row of
    a report nothing changed near is not read again. A plain `dbt test` reads
    every row, and finds it."""
    db = altered_far_then_changed(sequence, tmp_path, "applicant_type = 'nobody' where true")
    test = "accepted_values_fct_indicator_value_applicant_type"
    build = dbt(db, "build", "--exclude", "test_type:unit", dbt_vars=WHOLE_PROJECT_VARS)
    assert build.ok, build.failures
    ran = {r["unique_id"].split(".")[2] for r in build.results}
    assert any(name.startswith(test) for name in ran)
    whole = dbt(db, "test", "--select", "fct_indicator_value")
    assert [f[0].split(".")[2] for f in whole.failures if f[1] == "fail"] == [
        name for name in ran if name.startswith(test)
    ]
