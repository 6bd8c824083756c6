"""The analyst questions of the README, run against the warehouse built from raw/."""

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[1] / "README.md"


def analyst_queries() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## For analysts", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def run(built_warehouse):
    con = duckdb.connect(str(built_warehouse), read_only=True)
    yield lambda sql: (con.execute(sql).fetchall(), [d[0] for d in con.description])
    con.close()


def test_the_readme_has_five_questions():
    assert len(analyst_queries()) == 5


def test_series_per_region_across_templates(run):
    rows, cols = run(analyst_queries()[0])
    got = {(r[cols.index("region_name")], r[cols.index("report_year")]): r for r in rows}
    assert set(got) == {
        ("贺兰县", 2018),
        ("隆德县", 2020),
        ("固原市", 2018),
        ("金贵镇", 2018),
        ("贺兰山西路街道", 2018),
    }
    helan = got[("贺兰县", 2018)]
    pick = lambda r, *names: tuple(r[cols.index(n)] for n in names)  # noqa: E731
    fields = (
        "requests_received",
        "requests_disclosed",
        "requests_refused",
        "reconsiderations",
        "lawsuits",
    )
    assert pick(helan, "template", *fields) == ("gov2008", 19, 13, 1, 0, 2)
    assert pick(got[("隆德县", 2020)], "template", *fields) == ("gov2019", 0, 0, 0, 0, 0)
    # 固原市 left 行政复议数量 blank; its prose says none were received, which fills the gap.
    assert pick(got[("固原市", 2018)], *fields) == (41, 28, 0, 0, 0)


def test_self_contradictions(run):
    rows, cols = run(analyst_queries()[1])
    found = [
        (r[cols.index("organization")], r[cols.index("rule")], r[cols.index("indicator_code")])
        for r in rows
    ]
    assert ("隆德县人民政府", "narrative_vs_table", "a_new") in found


def test_refusal_share(run):
    rows, cols = run(analyst_queries()[2])
    top = rows[0]
    assert (
        top[cols.index("region_name")],
        top[cols.index("refused")],
        top[cols.index("handled")],
    ) == ("贺兰县", 1, 19)
    assert top[cols.index("comparability")] == "medium"


def test_request_matrix_of_one_report(run):
    rows, cols = run(analyst_queries()[3])
    assert len(rows) == 23 and "natural_person" in cols and "total" in cols
    assert all(v == 0 for r in rows for v in r[1:])


def test_numbers_trace_to_their_source(run):
    rows, cols = run(analyst_queries()[4])
    helan = [r for r in rows if r[cols.index("organization")] == "贺兰县人民政府"]
    table = [r for r in helan if r[cols.index("value_source")] == "table"]
    assert [(r[cols.index("value")], r[cols.index("source_text")]) for r in table] == [(2, "2")]
    assert table[0][cols.index("source_locator")].startswith("line ")


DUCKDB_CLI = Path(sys.executable).parent / "duckdb"  # from the duckdb-cli package (dev extra)


@pytest.mark.skipif(not DUCKDB_CLI.exists(), reason="the duckdb-cli package is not installed")
@pytest.mark.parametrize("number", range(5))
def test_the_duckdb_cli_opens_the_warehouse_and_runs_the_readme_queries(
    built_warehouse, run, number
):
    """The warehouse is published in a storage format the DuckDB CLI people install
    (1.5) reads, although this project writes it with a newer duckdb."""
    sql = analyst_queries()[number]
    done = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", "-csv", "-nullvalue", "∅", str(built_warehouse), "-c", sql],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    header, *lines = list(csv.reader(io.StringIO(done.stdout)))
    rows, cols = run(sql)
    assert header == cols
    assert lines == [["∅" if v is None else str(v) for v in row] for row in rows]


def test_every_mart_and_column_carries_its_description(built_warehouse):
    """dbt's descriptions persisted as DuckDB comments: any client shows them."""
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
        ).fetchall()
        undescribed = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'marts' and coalesce(comment, '') = ''"
        ).fetchall()
        year = con.execute(
            "select comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = 'dim_report' "
            "and column_name = 'report_year'"
        ).fetchone()[0]
    assert len(tables) >= 10 and all(comment for _, comment in tables)
    assert undescribed == []
    assert "year" in year.lower()
