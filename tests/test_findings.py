"""marts.consistency_finding: where a report contradicts itself.

On the five seed reports (the session `built_warehouse`): the one real
contradiction, 隆德县 2020 saying 3 requests in the prose and 0 in the table,
and nothing else. On a small hand-made landing database run through dbt
(tests/fixtures/landing.py): each rule fires where its equation breaks and
stays silent where it holds, where a cell is blank (unknown, never zero) or
not printed, and for year-to-year rules where the previous year's report of
the same body is missing. Then the Dagster asset check that reports the
findings per rule.
"""

import hashlib
import shutil
from pathlib import PurePath

import dagster as dg
import duckdb
import pytest

from orchestration.extract.model import Cell, Extraction, Identity, NarrativeFigure
from orchestration.settings import Settings
from tests.fixtures.landing import dbt, write_landing

RULES = {
    "sum_of",
    "matrix_balance",
    "matrix_outcomes",
    "matrix_row_total",
    "carry_over",
    "in_force_carry",
    "items_carry",
    "narrative_vs_table",
}

# ---------------------------------------------------------------------------
# The seed reports


@pytest.fixture(scope="module")
def seeds(built_warehouse):
    c = duckdb.connect(str(built_warehouse), read_only=True)
    yield c
    c.close()


def _seed_findings(con):
    return con.execute(
        "select r.source_path, f.rule, f.indicator_code, f.applicant_type, f.expected, f.actual,"
        " f.difference, f.related_report_id, f.source_locator, f.cells, f.finding_id,"
        " f.rule_description"
        " from marts.consistency_finding f join marts.dim_report r using (report_id)"
    ).fetchall()


@pytest.mark.e2e
def test_seeds_longde_prose_says_3_requests_its_table_says_0(seeds):
    """raw/001: prose line 23 "2020年共受理3件政府信息依公开申请，办结3件"; table
    line 63 "一、本年新收政府信息公开申请数量 0 0 0 0 0 0 0". expected is the
    prose figure, actual the table value."""
    longde = [f for f in _seed_findings(seeds) if f[0].startswith("001_")]
    assert len(longde) == 1
    _, rule, code, applicant, expected, actual, diff, related, locator, cells, fid, desc = longde[0]
    assert (rule, code, applicant) == ("narrative_vs_table", "a_new", "total")
    assert (expected, actual, diff) == (3.0, 0.0, -3.0)
    assert related is None and locator == "line 63"
    assert '"3件" (line 23)' in cells and "table at line 63" in cells
    assert "exactly" in desc
    # The id is a hash of the finding's key, the same in every build.
    assert fid == "3ce39a5236f2f86b"


@pytest.mark.e2e
def test_seeds_have_no_other_finding(seeds):
    """Checked by hand against raw/*.txt: every sum_of total of the four gov2008
    reports equals its parts (固原市's 行政复议数量 row is blank, so it is not
    evaluated); 隆德县's section-三 matrix is all zeros; the gov2008 prose
    figures equal their table cells; no body has reports for two consecutive
    years."""
    findings = _seed_findings(seeds)
    assert [(f[0][:4], f[1], f[2]) for f in findings] == [("001_", "narrative_vs_table", "a_new")]


@pytest.mark.e2e
def test_seeds_rules_were_evaluated_not_skipped(seeds):
    """The silence above is not for want of cells: the equations had all their
    cells in the seeds (so a broken one would have been reported)."""
    n = seeds.execute(
        "select count(*) from staging.int_findings__equation_terms t"
        " join marts.dim_report r on r.template = t.template"
        " where t.rule in ('matrix_balance', 'matrix_outcomes', 'matrix_row_total')"
    ).fetchone()[0]
    assert n > 0
    blank_review = seeds.execute(
        "select value from marts.fct_indicator_value f join marts.dim_report r using (report_id)"
        " where r.source_path like '002_%' and indicator_code = 'review_total'"
        " and value_source = 'table'"
    ).fetchall()
    assert blank_review == [(None,)]


# ---------------------------------------------------------------------------
# A hand-made landing database

APPLICANTS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
]
ZERO_OUTCOMES = [
    "a_partial",
    "a_denied_state_secret",
    "a_denied_other_law",
    "a_denied_security_stability",
    "a_denied_third_party",
    "a_denied_internal_affairs",
    "a_denied_process_info",
    "a_denied_enforcement_file",
    "a_denied_admin_query",
    "a_unable_not_held",
    "a_unable_needs_creation",
    "a_unable_unclear",
    "a_rejected_petition",
    "a_rejected_repeat",
    "a_rejected_publication",
    "a_rejected_mass",
    "a_rejected_confirm",
]
OTHER_SUBROWS = ["a_other_no_amendment", "a_other_no_fee", "a_other_misc"]
DROP = object()  # an override that leaves a cell out (not printed at all)


class Cells:
    """Cells of one report, each on its own line."""

    def __init__(self):
        self.cells: list[Cell] = []

    def add(self, code, value, applicant="total", section="requests"):
        line = len(self.cells) + 10
        self.cells.append(
            Cell(
                section=section,
                row_label=code,
                column_label=None if applicant == "total" else applicant,
                indicator_code=code,
                applicant_type=applicant,
                value=value,
                unit=None,
                value_text="" if value is None else f"{value:g}",
                source_locator=f"line {line}",
                line=line,
            )
        )
        return self


def matrix(cells: Cells, template, flows=None, overrides=None) -> Cells:
    """A section-三 matrix that holds every rule: flows maps an applicant column
    to (new, carried_in, granted, other, carried_out) (other goes to a_other in
    gov2019, a_other_misc in gov2021); the total column is the sum. overrides
    {(code, applicant): value | None | DROP} then change, blank or drop cells."""
    flows = flows or {}
    other_rows = ["a_other"] if template == "gov2019" else OTHER_SUBROWS
    values: dict[tuple[str, str], float] = {}
    for a in APPLICANTS:
        new, carried_in, granted, other, carried_out = flows.get(a, (0, 0, 0, 0, 0))
        assert new + carried_in == granted + other + carried_out, a
        col = {
            "a_new": new,
            "a_carried_in": carried_in,
            "a_granted": granted,
            **dict.fromkeys(ZERO_OUTCOMES, 0),
            **dict.fromkeys(other_rows, 0),
            other_rows[-1]: other,
            "a_processed": granted + other,
            "a_carried_out": carried_out,
        }
        for code, v in col.items():
            values[(code, a)] = v
            values[(code, "total")] = values.get((code, "total"), 0) + v
    for key, v in (overrides or {}).items():
        values[key] = v
    for (code, a), v in values.items():
        if v is not DROP:
            cells.add(code, v, a)
    return cells


def report(
    path, template, year, org, cells, narrative=(), region=("甲县", "649901"), kind="government"
):
    return Extraction(
        source_path=path,
        source_sha256=hashlib.sha256(path.encode()).hexdigest(),
        source_format="text",
        template=template,
        identity=Identity(
            title=f"{org or region[0]}{year}年政府信息公开工作年度报告",
            organization=org,
            report_year=year,
            region_name=region[0],
            region_level="county",
            region_code=region[1],
            organization_kind=kind,
        ),
        cells=cells.cells,
        narrative=list(narrative),
        line_count=200,
    )


def figure(code, number, text, qualifier=None, line=5):
    return NarrativeFigure(
        sentence=f"……{text}……",
        number=number,
        number_text=text,
        unit=None,
        approximate=qualifier is not None,
        qualifier=qualifier,
        indicator_code=code,
        source_locator=f"line {line}",
        line=line,
    )


def received(cells, total, parts):
    cells.add("a_received", total)
    for code, v in zip(
        ["a_received_in_person", "a_received_fax", "a_received_online", "a_received_letter"], parts
    ):
        if v is not DROP:
            cells.add(code, v)
    return cells


R_SUM, R_MATRIX, R_CARRY, R_NOORG, R_FORCE, R_FORCE2, R_ITEMS, R_PROSE = (
    (f"区{i}", f"6499{i:02d}") for i in range(1, 9)
)

REPORTS = [
    # sum_of (gov2008): 10 = 5 + 0 + 4 + 0 breaks; a blank or unprinted part: not evaluated.
    report(
        "sum/broken.txt",
        "gov2008",
        2018,
        "甲一局",
        received(Cells(), 10, [5, 0, 4, 0])
        .add("org_staff", 3, section="capacity")
        .add("org_staff_fulltime", 2, section="capacity")
        .add("org_staff_parttime", 1, section="capacity"),
        region=R_SUM,
    ),
    report(
        "sum/holds.txt", "gov2008", 2018, "甲二局", received(Cells(), 9, [5, 0, 4, 0]), region=R_SUM
    ),
    report(
        "sum/blank_part.txt",
        "gov2008",
        2018,
        "甲三局",
        received(Cells(), 10, [5, None, 4, 0]),
        region=R_SUM,
    ),
    report(
        "sum/missing_part.txt",
        "gov2008",
        2018,
        "甲四局",
        received(Cells(), 10, [5, DROP, 4, 0]),
        region=R_SUM,
    ),
    # sum_of in gov2019: review_total counts 尚未审结 too; a report without a matrix
    # gets no matrix rule.
    report(
        "sum/review2019.txt",
        "gov2019",
        2019,
        "甲五局",
        Cells()
        .add("review_total", 2, section="review")
        .add("review_upheld", 1, section="review")
        .add("review_corrected", 0, section="review")
        .add("review_other", 0, section="review")
        .add("review_pending", 0, section="review")
        .add("lit_direct_total", 1, section="litigation")
        .add("lit_direct_upheld", 0, section="litigation")
        .add("lit_direct_corrected", 0, section="litigation")
        .add("lit_direct_other", 0, section="litigation")
        .add("lit_direct_pending", 1, section="litigation"),
        region=R_SUM,
    ),
    # section 三
    report(
        "matrix/consistent2019.txt",
        "gov2019",
        2019,
        "乙一局",
        matrix(
            Cells(), "gov2019", {"natural_person": (5, 1, 3, 1, 2), "other_org": (2, 0, 2, 0, 0)}
        ),
        region=R_MATRIX,
    ),
    report(
        "matrix/consistent2021.txt",
        "gov2021",
        2021,
        "乙二局",
        matrix(
            Cells(),
            "gov2021",
            {"natural_person": (5, 1, 3, 1, 2), "commercial_enterprise": (4, 0, 1, 3, 0)},
        ),
        region=R_MATRIX,
    ),
    # gov2021 printing the （六） row with its subtotal above its three sub-rows: counted once.
    report(
        "matrix/both_other_rows.txt",
        "gov2021",
        2021,
        "乙三局",
        matrix(
            Cells(),
            "gov2021",
            {"natural_person": (5, 1, 3, 1, 2)},
            {
                ("a_other", a): (1 if a in ("natural_person", "total") else 0)
                for a in [*APPLICANTS, "total"]
            },
        ),
        region=R_MATRIX,
    ),
    report(
        "matrix/balance_broken.txt",
        "gov2019",
        2019,
        "乙四局",
        matrix(
            Cells(),
            "gov2019",
            {"natural_person": (5, 1, 3, 1, 2)},
            {("a_carried_out", "natural_person"): 3, ("a_carried_out", "total"): 3},
        ),
        region=R_MATRIX,
    ),
    report(
        "matrix/outcomes_broken.txt",
        "gov2019",
        2019,
        "乙五局",
        matrix(
            Cells(),
            "gov2019",
            {"natural_person": (5, 1, 3, 1, 2)},
            {("a_granted", "natural_person"): 4, ("a_granted", "total"): 4},
        ),
        region=R_MATRIX,
    ),
    # total column of a_new off by one; a_carried_in's total is blank, so the
    # balance of the total column (and that row's total) is not evaluated.
    report(
        "matrix/row_total_broken.txt",
        "gov2019",
        2019,
        "乙六局",
        matrix(
            Cells(),
            "gov2019",
            {"natural_person": (5, 1, 3, 1, 2)},
            {("a_new", "total"): 6, ("a_carried_in", "total"): None},
        ),
        region=R_MATRIX,
    ),
    # a blank a_granted would break outcomes and the row total if blank were zero.
    report(
        "matrix/blank_cell.txt",
        "gov2019",
        2019,
        "乙七局",
        matrix(
            Cells(),
            "gov2019",
            {"natural_person": (5, 1, 3, 1, 2)},
            {("a_granted", "natural_person"): None},
        ),
        region=R_MATRIX,
    ),
    # carry_over: 丙县 2020 carried out 2 + 1; 2021 carried in 2 + 0.
    report(
        "carry/2020.txt",
        "gov2019",
        2020,
        "丙县人民政府",
        matrix(
            Cells(),
            "gov2019",
            {"natural_person": (3, 0, 1, 0, 2), "commercial_enterprise": (1, 0, 0, 0, 1)},
        ),
        region=R_CARRY,
    ),
    report(
        "carry/2021.txt",
        "gov2021",
        2021,
        "丙县人民政府",
        matrix(Cells(), "gov2021", {"natural_person": (0, 2, 2, 0, 0)}),
        region=R_CARRY,
    ),
    # no 2022 report: 2023 is not compared with 2021.
    report(
        "carry/2023.txt",
        "gov2021",
        2023,
        "丙县人民政府",
        matrix(Cells(), "gov2021", {"natural_person": (0, 5, 5, 0, 0)}),
        region=R_CARRY,
    ),
    # another body in 2021 is not compared with 丙县 2020.
    report(
        "carry/other_body_2021.txt",
        "gov2021",
        2021,
        "丙县统计局",
        matrix(Cells(), "gov2021", {"natural_person": (1, 4, 5, 0, 0)}),
        region=R_CARRY,
        kind="department",
    ),
    # No organization: the same region and kind of body is the same body.
    report(
        "carry/noorg2020.txt",
        "gov2019",
        2020,
        None,
        matrix(Cells(), "gov2019", {"natural_person": (1, 0, 0, 0, 1)}),
        region=R_NOORG,
    ),
    report(
        "carry/noorg2021.txt",
        "gov2021",
        2021,
        None,
        matrix(Cells(), "gov2021", {"natural_person": (1, 0, 1, 0, 0)}),
        region=R_NOORG,
    ),
    report(
        "carry/noorg_department2021.txt",
        "gov2021",
        2021,
        None,
        matrix(Cells(), "gov2021", {"natural_person": (0, 3, 3, 0, 0)}),
        region=R_NOORG,
        kind="department",
    ),
    # in_force_carry: normative documents 10 + 3 - 1 = 12, printed 13; rules 5 + 1 - 0 = 6 holds.
    report(
        "force/2021.txt",
        "gov2021",
        2021,
        "丁县人民政府",
        Cells()
        .add("p_normdocs_in_force", 10, section="proactive")
        .add("p_rules_in_force", 5, section="proactive"),
        region=R_FORCE,
    ),
    report(
        "force/2022.txt",
        "gov2021",
        2022,
        "丁县人民政府",
        Cells()
        .add("p_normdocs_issued", 3, section="proactive")
        .add("p_normdocs_repealed", 1, section="proactive")
        .add("p_normdocs_in_force", 13, section="proactive")
        .add("p_rules_issued", 1, section="proactive")
        .add("p_rules_repealed", 0, section="proactive")
        .add("p_rules_in_force", 6, section="proactive"),
        region=R_FORCE,
    ),
    # repealed blank: not evaluated although 10 + 3 != 20.
    report(
        "force/blank2021.txt",
        "gov2021",
        2021,
        "戊县人民政府",
        Cells().add("p_normdocs_in_force", 10, section="proactive"),
        region=R_FORCE2,
    ),
    report(
        "force/blank2022.txt",
        "gov2021",
        2022,
        "戊县人民政府",
        Cells()
        .add("p_normdocs_issued", 3, section="proactive")
        .add("p_normdocs_repealed", None, section="proactive")
        .add("p_normdocs_in_force", 20, section="proactive"),
        region=R_FORCE2,
    ),
    # items_carry: licensing 387 - 302 = 85 holds; penalty 45 - 10 = 35, printed 30;
    # fee change blank: not evaluated.
    report(
        "items/2019.txt",
        "gov2019",
        2019,
        "己县人民政府",
        Cells()
        .add("p_licensing_items_prev", 387, section="proactive")
        .add("p_licensing_items_change", -302, section="proactive")
        .add("p_penalty_items_prev", 45, section="proactive")
        .add("p_penalty_items_change", -10, section="proactive")
        .add("p_fee_items_prev", 12, section="proactive")
        .add("p_fee_items_change", None, section="proactive"),
        region=R_ITEMS,
    ),
    report(
        "items/2020.txt",
        "gov2019",
        2020,
        "己县人民政府",
        Cells()
        .add("p_licensing_items_prev", 85, section="proactive")
        .add("p_penalty_items_prev", 30, section="proactive")
        .add("p_fee_items_prev", 99, section="proactive"),
        region=R_ITEMS,
    ),
    # narrative_vs_table
    report(
        "prose/2018.txt",
        "gov2008",
        2018,
        "庚镇人民政府",
        Cells()
        .add("p_total", 3100, section="proactive")
        .add("p_via_website", 100, section="proactive")
        .add("a_received", 95)
        .add("r_hotspots", 80, section="response")
        .add("r_interpretations", 60, section="response")
        .add("lit_total", 2, section="litigation")
        .add("review_total", None, section="review"),
        narrative=[
            figure(
                "p_total", 3200, "3200余条", "余", line=3
            ),  # lower bound above the table: finding
            figure("p_via_website", 120, "120条", line=4),  # exact, differs: finding
            figure("a_received", 100, "约100件", "约", line=5),  # within 10%: none
            figure("r_hotspots", 100, "近100次", "近", line=6),  # 20% off: finding
            figure(
                "r_interpretations", 50, "50余篇", "余", line=7
            ),  # lower bound below the table: none
            figure("lit_total", 2, "2件", line=8),  # equal: none
            figure("review_total", 1, "1件", line=9),  # table blank: not compared
            figure(None, 7, "7个", line=10),  # no code: not compared
        ],
        region=R_PROSE,
    ),
]


@pytest.fixture(scope="module")
def dbt_findings(tmp_path_factory):
    db = tmp_path_factory.mktemp("findings") / "disclosure.duckdb"
    write_landing(db, REPORTS)
    # The findings, what they are built from and their data tests (with the
    # marts these tests and their relationships read); then the findings' own
    # unit tests (other models' unit tests run in the full build).
    build = dbt(
        db,
        "build",
        "--select",
        "+consistency_finding",
        "+dim_report",
        "dim_indicator",
        "--indirect-selection",
        "cautious",
        "--exclude",
        "test_type:unit",
    )
    unit = dbt(db, "test", "--select", "test_type:unit,int_findings__*")
    return build.results + unit.results, db


@pytest.fixture(scope="module")
def findings(dbt_findings):
    _, db = dbt_findings
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select r.source_path, f.rule, f.indicator_code, f.applicant_type, f.expected,"
            " f.actual, f.difference, rel.source_path, f.source_locator, f.cells, f.finding_id"
            " from marts.consistency_finding f join marts.dim_report r using (report_id)"
            " left join marts.dim_report rel on rel.report_id = f.related_report_id"
        ).fetchall()
    return rows


def by_rule(findings, rule):
    """{(path, code, applicant, expected, actual, related path)} of one rule."""
    return {(f[0], f[2], f[3], f[4], f[5], f[7]) for f in findings if f[1] == rule}


@pytest.mark.dbt
def test_dbt_build_of_the_findings_passes(dbt_findings):
    results, _ = dbt_findings
    bad = [
        (r["unique_id"], r["status"], r.get("message"))
        for r in results
        if r["status"] not in ("success", "pass")
    ]
    assert not bad
    ran = {r["unique_id"] for r in results}
    assert "model.disclosure.consistency_finding" in ran
    for model in (
        "int_findings__table_equations",
        "int_findings__section_sum_terms",
        "int_findings__written_terms",
        "int_findings__duplicate_conflicts",
    ):
        assert any(u.startswith(f"unit_test.disclosure.{model}.") for u in ran), model
    assert any(u.startswith("test.disclosure.unique_consistency_finding_finding_id") for u in ran)


@pytest.mark.dbt
def test_every_finding_is_one_this_file_expects(findings):
    assert {f[1] for f in findings} == RULES
    assert len({f[10] for f in findings}) == len(findings)
    assert all(f[6] == f[5] - f[4] for f in findings)  # difference = actual - expected


@pytest.mark.dbt
def test_sum_of(findings):
    assert by_rule(findings, "sum_of") == {
        ("sum/broken.txt", "a_received", "total", 9.0, 10.0, None),
        ("sum/review2019.txt", "review_total", "total", 1.0, 2.0, None),
    }
    (cells,) = [f[9] for f in findings if f[0] == "sum/broken.txt"]
    assert cells == (
        "a_received (10) = a_received_in_person (5) + a_received_fax (0)"
        " + a_received_online (4) + a_received_letter (0)"
    )
    (locator,) = [f[8] for f in findings if f[0] == "sum/broken.txt"]
    assert locator == "line 10"  # the total's cell


@pytest.mark.dbt
def test_matrix_balance(findings):
    # 5 + 1 = 4 + 3 in the natural-person column and in the total column.
    assert by_rule(findings, "matrix_balance") == {
        ("matrix/balance_broken.txt", "a_processed", "natural_person", 6.0, 7.0, None),
        ("matrix/balance_broken.txt", "a_processed", "total", 6.0, 7.0, None),
    }
    cells = {f[9] for f in findings if f[1] == "matrix_balance"}
    assert cells == {"a_processed (4) + a_carried_out (3) = a_new (5) + a_carried_in (1)"}


@pytest.mark.dbt
def test_matrix_outcomes(findings):
    # 4 processed, outcomes 4 granted + 1 other; a_other and its sub-rows never both.
    assert by_rule(findings, "matrix_outcomes") == {
        ("matrix/outcomes_broken.txt", "a_processed", "natural_person", 5.0, 4.0, None),
        ("matrix/outcomes_broken.txt", "a_processed", "total", 5.0, 4.0, None),
    }
    (cells,) = {f[9] for f in findings if f[1] == "matrix_outcomes" and f[3] == "natural_person"}
    assert cells.startswith(
        "a_processed (4) = a_granted (4) + a_partial (0) + a_denied_state_secret (0)"
    )
    assert cells.endswith("+ a_rejected_confirm (0) + a_other (1)")


@pytest.mark.dbt
def test_matrix_row_total(findings):
    assert by_rule(findings, "matrix_row_total") == {
        ("matrix/row_total_broken.txt", "a_new", "total", 5.0, 6.0, None),
        # the a_granted override of outcomes_broken changed the total column with it
    }
    (cells,) = {f[9] for f in findings if f[1] == "matrix_row_total"}
    assert cells == (
        "a_new (6) = a_new[natural_person] (5) + a_new[commercial_enterprise] (0)"
        " + a_new[research_institution] (0) + a_new[social_welfare_org] (0)"
        " + a_new[legal_service_org] (0) + a_new[other_org] (0)"
    )


@pytest.mark.dbt
def test_blank_is_unknown_never_zero(findings):
    silent = {
        "sum/blank_part.txt",
        "sum/missing_part.txt",
        "matrix/blank_cell.txt",
        "force/blank2022.txt",
        "matrix/consistent2019.txt",
        "matrix/consistent2021.txt",
        "matrix/both_other_rows.txt",
        "sum/holds.txt",
    }
    assert not [f for f in findings if f[0] in silent]
    # row_total_broken: the total column's balance has a blank, so only the row total fires
    assert {f[1] for f in findings if f[0] == "matrix/row_total_broken.txt"} == {"matrix_row_total"}
    # items: the fee change is blank
    assert not [f for f in findings if f[2] == "p_fee_items_prev"]


@pytest.mark.dbt
def test_carry_over(findings):
    assert by_rule(findings, "carry_over") == {
        ("carry/2021.txt", "a_carried_in", "commercial_enterprise", 1.0, 0.0, "carry/2020.txt"),
        ("carry/2021.txt", "a_carried_in", "total", 3.0, 2.0, "carry/2020.txt"),
        ("carry/noorg2021.txt", "a_carried_in", "natural_person", 1.0, 0.0, "carry/noorg2020.txt"),
        ("carry/noorg2021.txt", "a_carried_in", "total", 1.0, 0.0, "carry/noorg2020.txt"),
    }
    cells = {f[9] for f in findings if f[1] == "carry_over" and f[3] == "commercial_enterprise"}
    assert cells == {"a_carried_in (0) = a_carried_out of 2020 (1)"}


@pytest.mark.dbt
def test_in_force_carry(findings):
    assert by_rule(findings, "in_force_carry") == {
        ("force/2022.txt", "p_normdocs_in_force", "total", 12.0, 13.0, "force/2021.txt"),
    }
    (cells,) = {f[9] for f in findings if f[1] == "in_force_carry"}
    assert cells == (
        "p_normdocs_in_force (13) = p_normdocs_in_force of 2021 (10)"
        " + p_normdocs_issued (3) - p_normdocs_repealed (1)"
    )


@pytest.mark.dbt
def test_items_carry(findings):
    assert by_rule(findings, "items_carry") == {
        ("items/2020.txt", "p_penalty_items_prev", "total", 35.0, 30.0, "items/2019.txt"),
    }


@pytest.mark.dbt
def test_narrative_vs_table(findings):
    assert by_rule(findings, "narrative_vs_table") == {
        ("prose/2018.txt", "p_total", "total", 3200.0, 3100.0, None),  # 3200余 > 3100
        ("prose/2018.txt", "p_via_website", "total", 120.0, 100.0, None),  # exact
        ("prose/2018.txt", "r_hotspots", "total", 100.0, 80.0, None),  # 近100: 20% off
    }
    cells = {f[2]: f[9] for f in findings if f[1] == "narrative_vs_table"}
    assert (
        cells["p_total"]
        == 'p_total (3100, table at line 10) vs the prose lower bound "3200余条" (line 3)'
    )


# ---------------------------------------------------------------------------
# The Dagster asset check


@pytest.mark.unit
def test_findings_check_runs_before_the_publish_step():
    from dagster._core.execution.api import create_execution_plan

    from orchestration.definitions import defs

    job = defs.resolve_job_def("build_warehouse")
    keys = [s.key for s in create_execution_plan(job).get_steps_to_execute_in_topo_order()]
    check = "marts__consistency_finding_findings_by_rule"
    assert (
        keys.index("disclosure_dbt_models") < keys.index(check) < keys.index("published_warehouse")
    )
    graph = defs.resolve_asset_graph()
    assert dg.AssetCheckKey(dg.AssetKey(["marts", "consistency_finding"]), "findings_by_rule") in (
        graph.asset_check_keys
    )


@pytest.mark.e2e
def test_findings_check_counts_per_rule_passes_and_lets_go_of_the_db(
    built_warehouse, tmp_path, settings_env
):
    from orchestration.assets.checks import consistency_findings_by_rule

    build_db = tmp_path / "build" / "disclosure.duckdb"
    build_db.parent.mkdir()
    shutil.copy(built_warehouse, build_db)
    with settings_env(tmp_path / "raw", tmp_path / "disclosure.duckdb", build_db=build_db):
        result = consistency_findings_by_rule(
            dg.build_asset_check_context(), settings=Settings.from_env()
        )
    assert result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    meta = {k: getattr(v, "value", v) for k, v in result.metadata.items()}
    assert meta["findings"] == 1 and meta["findings/narrative_vs_table"] == 1
    first = result.metadata["first_findings"]
    assert [r.data["organization"] for r in first.records] == ["隆德县人民政府"]
    assert "expected" in [c.name for c in first.schema.columns]
    # No connection left open: the publish step opens the file read-write next.
    with duckdb.connect(str(build_db)) as con:
        con.execute("checkpoint")
    assert PurePath(build_db).name == "disclosure.duckdb"
