"""The `disclosure` command line."""

import json

import duckdb
import pytest
from click.testing import CliRunner

from orchestration import cli, settings
from orchestration.cli import main
from orchestration.settings import ENV_WAREHOUSE

# Each test carries its layer: the two build tests run the whole build (e2e).


def small_warehouse(path):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_report as "
            "select * from (values ('r1', '贺兰县', 2018), ('r2', '隆德县', 2020)) "
            "as t(report_id, region_name, report_year)"
        )
    return path


@pytest.mark.unit
def test_query_prints_a_table(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main,
        [
            "query",
            "select region_name, report_year from marts.dim_report order by 2",
            "--warehouse",
            str(wh),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if "region_name" in line)
    assert "report_year" in header
    assert any("贺兰县" in line and "2018" in line for line in lines)
    assert any("隆德县" in line and "2020" in line for line in lines)


@pytest.mark.unit
def test_query_reads_the_warehouse_from_the_environment(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main, ["query", "select count(*) as n from marts.dim_report"], env={ENV_WAREHOUSE: str(wh)}
    )
    assert result.exit_code == 0, result.output
    assert "│ 2 " in result.output


@pytest.mark.unit
def test_query_limits_rows(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main, ["query", "select * from range(10)", "--warehouse", str(wh), "--max-rows", "3"]
    )
    assert result.exit_code == 0
    assert "more than 3 rows" in result.output


@pytest.mark.unit
def test_query_without_a_warehouse_says_so(tmp_path):
    result = CliRunner().invoke(
        main, ["query", "select 1", "--warehouse", str(tmp_path / "none.duckdb")]
    )
    assert result.exit_code == 1
    assert "no warehouse at" in result.output and "disclosure build" in result.output
    assert "Traceback" not in result.output


@pytest.mark.unit
def test_query_reports_sql_errors_plainly(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(main, ["query", "select * from nowhere", "--warehouse", str(wh)])
    assert result.exit_code == 1
    assert "nowhere" in result.output and "Traceback" not in result.output


@pytest.mark.unit
def test_query_is_read_only(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main, ["query", "drop table marts.dim_report", "--warehouse", str(wh)]
    )
    assert result.exit_code == 1
    assert "read-only" in result.output.lower()


@pytest.mark.e2e
def test_build_reuses_the_cache_and_prints_a_summary(built_warehouse_dirs, settings_env, tmp_path):
    raw, built = built_warehouse_dirs
    target = tmp_path / "wh" / "disclosure.duckdb"
    cache = built.parent / "cache" / "extractions.duckdb"
    with settings_env(raw, target, cache=cache):
        result = CliRunner().invoke(main, ["build", "--raw", str(raw), "--warehouse", str(target)])
        assert result.exit_code == 0, result.output
        query = CliRunner().invoke(
            main, ["query", "select count(*) as reports from marts.dim_report"]
        )
    n_files = sum(1 for p in raw.rglob("*") if p.is_file())
    assert f"0 / {n_files}" in result.output  # everything came from the cache
    assert target.exists()
    assert f" {n_files} │" in query.output


@pytest.mark.e2e
def test_a_build_with_nothing_changed_stops_at_once(built_warehouse_dirs, settings_env, tmp_path):
    raw, built = built_warehouse_dirs
    target = tmp_path / "uptodate" / "disclosure.duckdb"
    cache = built.parent / "cache" / "extractions.duckdb"
    with settings_env(raw, target, cache=cache):
        first = CliRunner().invoke(main, ["build"])
        assert first.exit_code == 0, first.output
        published = target.stat().st_mtime_ns
        again = CliRunner().invoke(main, ["build"])
        assert again.exit_code == 0 and "up to date" in again.output
        assert target.stat().st_mtime_ns == published  # not even republished
        forced = CliRunner().invoke(main, ["build", "--force"])
        assert forced.exit_code == 0 and "up to date" not in forced.output
        assert target.stat().st_mtime_ns != published


# -- what analysts read: formats, layouts, tables and columns ---------------


@pytest.fixture
def warehouse(tmp_path):
    """A mart with NULL, '' and Chinese text, its descriptions, and a view."""
    path = tmp_path / "disclosure.duckdb"
    with settings.connect(path) as con:
        con.execute("create schema marts")
        con.execute(
            """create table marts.dim_report as select * from (values
                ('r1', '贺兰县', 2018, NULL, 1.50::decimal(6, 2), date '2019-03-31'),
                ('r2', '隆德县', 2020, '', NULL, NULL),
                ('r3', 'a|b', NULL, 'say "hi"', 2.25, date '2021-01-15'))
            as t(report_id, region_name, report_year, note, amount, published)"""
        )
        con.execute("comment on table marts.dim_report is 'One row per report kept.'")
        con.execute(
            "comment on column marts.dim_report.report_year is 'The year the report covers.'"
        )
        con.execute(
            "create view main.recent as "
            "select report_id from marts.dim_report where report_year >= 2020"
        )
    return path


def run(warehouse, *args):
    return CliRunner().invoke(main, [*args, "--warehouse", str(warehouse)])


REPORTS = "select * from dim_report order by report_id"

PRINTED = {
    "table": """\
┏━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━━━┓
┃ report_id ┃ region_name ┃ report_year ┃ note     ┃ amount ┃ published  ┃
┡━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━┩
│ r1        │ 贺兰县      │        2018 │ NULL     │   1.50 │ 2019-03-31 │
│ r2        │ 隆德县      │        2020 │          │   NULL │ NULL       │
│ r3        │ a|b         │        NULL │ say "hi" │   2.25 │ 2021-01-15 │
└───────────┴─────────────┴─────────────┴──────────┴────────┴────────────┘
""",
    "csv": (
        '"report_id","region_name","report_year","note","amount","published"\n'
        '"r1","贺兰县",2018,,1.50,"2019-03-31"\n'
        '"r2","隆德县",2020,"",,\n'
        '"r3","a|b",,"say ""hi""",2.25,"2021-01-15"\n'
    ),
    "json": """\
[
  {"report_id": "r1", "region_name": "贺兰县", "report_year": 2018, "note": null, \
"amount": 1.5, "published": "2019-03-31"},
  {"report_id": "r2", "region_name": "隆德县", "report_year": 2020, "note": "", \
"amount": null, "published": null},
  {"report_id": "r3", "region_name": "a|b", "report_year": null, "note": "say \\"hi\\"", \
"amount": 2.25, "published": "2021-01-15"}
]
""",
    "markdown": """\
| report_id | region_name | report_year | note | amount | published |
| --- | --- | --- | --- | --- | --- |
| r1 | 贺兰县 | 2018 | NULL | 1.50 | 2019-03-31 |
| r2 | 隆德县 | 2020 |  | NULL | NULL |
| r3 | a\\|b | NULL | say "hi" | 2.25 | 2021-01-15 |
""",
}


@pytest.mark.parametrize("fmt", list(PRINTED))
@pytest.mark.unit
def test_each_format_keeps_null_apart_from_the_empty_string(warehouse, fmt):
    result = run(warehouse, "query", REPORTS, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout == PRINTED[fmt]
    assert result.stderr == ""


@pytest.mark.unit
def test_the_table_is_the_default(warehouse):
    assert run(warehouse, "query", REPORTS).stdout == PRINTED["table"]


@pytest.mark.unit
def test_json_is_an_array_of_rows_as_python_reads_them(warehouse):
    result = run(warehouse, "query", REPORTS, "--format", "json")
    rows = json.loads(result.stdout)
    assert [r["note"] for r in rows] == [None, "", 'say "hi"']
    assert rows[0] == {
        "report_id": "r1",
        "region_name": "贺兰县",
        "report_year": 2018,
        "note": None,
        "amount": 1.5,
        "published": "2019-03-31",
    }


@pytest.mark.unit
def test_json_of_other_types(warehouse):
    sql = (
        "select [1, null] as l, {'k': 1.5} as s, true as b, "
        "timestamp '2020-01-02 03:04:05' as ts, 12345678901234567.89::decimal(38, 2) as big, "
        "1 as a, 2 as a"
    )
    result = run(warehouse, "query", sql, "--format", "json")
    assert result.stdout == (
        '[\n  {"l": [1, null], "s": {"k": 1.5}, "b": true, "ts": "2020-01-02T03:04:05", '
        '"big": "12345678901234567.89", "a": 1, "a": 2}\n]\n'
    )
    empty = run(warehouse, "query", "select 1 as a where false", "--format", "json")
    assert empty.stdout == "[]\n"


@pytest.mark.unit
def test_csv_reads_back_with_null_and_empty_string_apart(warehouse, tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(run(warehouse, "query", REPORTS, "--format", "csv").stdout)
    with duckdb.connect() as con:
        notes = con.execute(
            f"select note from read_csv('{path}', allow_quoted_nulls = false) order by 1"
        ).fetchall()
    assert notes == [("",), ('say "hi"',), (None,)]


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


WIDE = "select *, repeat('长', 40) as body from dim_report where report_id = 'r1'"
VERTICAL = """\
── row 1 ──
report_id:   r1
region_name: 贺兰县
report_year: 2018
note:        NULL
amount:      1.50
published:   2019-03-31
body:        {body}
the rows are 153 columns wide, the terminal 120: one block per row""".format(body="长" * 40)


@pytest.mark.unit
def test_rows_wider_than_the_terminal_print_one_block_per_row(warehouse, monkeypatch):
    monkeypatch.setattr(cli, "_terminal_width", lambda: 120)
    result = run(warehouse, "query", WIDE)
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == VERTICAL.splitlines()
    narrow = run(warehouse, "query", REPORTS)  # 73 columns: a table
    assert narrow.stdout == PRINTED["table"]


@pytest.mark.unit
def test_a_pipe_gets_the_wide_table_whole(warehouse):
    result = run(warehouse, "query", WIDE)
    assert result.exit_code == 0, result.output
    assert "┃ report_id ┃" in result.stdout and "长" * 40 in result.stdout
    assert "block" not in result.stdout


@pytest.mark.unit
def test_vertical_on_demand(warehouse):
    result = run(warehouse, "query", REPORTS, "--vertical")
    assert result.exit_code == 0, result.output
    assert lines(result.stdout)[:9] == [
        "── row 1 ──",
        "report_id:   r1",
        "region_name: 贺兰县",
        "report_year: 2018",
        "note:        NULL",
        "amount:      1.50",
        "published:   2019-03-31",
        "",
        "── row 2 ──",
    ]
    assert lines(result.stdout)[12] == "note:"  # the empty string: nothing after the name
    assert "columns wide" not in result.stdout
    other = run(warehouse, "query", REPORTS, "--vertical", "--format", "csv")
    assert other.exit_code == 2 and "--vertical" in other.output


@pytest.mark.parametrize("value", ["-5", "x"])
@pytest.mark.unit
def test_max_rows_must_be_a_count(warehouse, value):
    result = run(warehouse, "query", REPORTS, "--max-rows", value)
    assert result.exit_code == 2
    assert "Invalid value for '--max-rows'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.unit
def test_max_rows_zero_prints_every_row(warehouse):
    result = run(warehouse, "query", "select * from range(300)", "--max-rows", "0")
    assert result.exit_code == 0, result.output
    assert "│   299 │" in result.stdout and "more than" not in result.output


@pytest.mark.unit
def test_the_table_stops_at_200_rows_csv_does_not(warehouse):
    table = run(warehouse, "query", "select * from range(300)")
    assert "│   199 │" in table.stdout and "│   200 │" not in table.stdout
    assert "more than 200 rows" in table.stdout
    csv = run(warehouse, "query", "select * from range(300)", "--format", "csv")
    assert csv.stdout.splitlines() == ['"range"', *map(str, range(300))]
    cut = run(warehouse, "query", "select * from range(300)", "--format", "csv", "--max-rows", "2")
    assert cut.stdout == '"range"\n0\n1\n'
    assert "more than 2 rows" in cut.stderr  # stdout holds only the CSV


@pytest.mark.unit
def test_one_statement_at_a_time(warehouse):
    result = run(warehouse, "query", "select 1; select 2")
    assert result.exit_code == 1
    assert "one statement at a time: got 2 statements" in result.output
    assert "Traceback" not in result.output
    listed = run(warehouse, "query", "pragma table_info('dim_report'); select 1")
    assert "one statement at a time" in listed.output
    nothing = run(warehouse, "query", " ; ")
    assert nothing.exit_code == 1 and "no SQL statement" in nothing.output


@pytest.mark.unit
def test_settings_may_come_before_the_query(warehouse):
    result = run(
        warehouse, "query", "set search_path = 'main'; select * from recent", "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == '"report_id"\n"r2"\n'


@pytest.mark.unit
def test_a_write_after_a_read_is_still_refused(warehouse):
    result = run(warehouse, "query", "select 1; drop table marts.dim_report")
    assert result.exit_code == 1 and "read-only" in result.output


@pytest.mark.unit
def test_the_marts_come_first_on_the_search_path(warehouse):
    shown = run(warehouse, "query", "show tables", "--format", "csv")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == '"name"\n"dim_report"\n"recent"\n'
    bare = run(warehouse, "query", "select count(*) as n from dim_report", "--format", "csv")
    assert bare.stdout == '"n"\n3\n'


@pytest.mark.unit
def test_a_warehouse_without_marts_still_opens(tmp_path):
    path = tmp_path / "bare.duckdb"
    with settings.connect(path) as con:
        con.execute("create table t as select 1 as x")
    result = run(path, "query", "select * from t", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == '"x"\n1\n'


TABLES = """\
┏━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┳━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ schema ┃ name       ┃ kind  ┃ rows ┃ description              ┃
┡━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ marts  │ dim_report │ table │    3 │ One row per report kept. │
│ main   │ recent     │ view  │ NULL │ NULL                     │
└────────┴────────────┴───────┴──────┴──────────────────────────┘
"""


@pytest.mark.unit
def test_tables_lists_every_table_and_view(warehouse):
    result = run(warehouse, "tables")
    assert result.exit_code == 0, result.output
    assert result.stdout == TABLES
    listed = json.loads(run(warehouse, "tables", "--format", "json").stdout)
    assert listed == [
        {
            "schema": "marts",
            "name": "dim_report",
            "kind": "table",
            "rows": 3,
            "description": "One row per report kept.",
        },
        {"schema": "main", "name": "recent", "kind": "view", "rows": None, "description": None},
    ]


@pytest.mark.unit
def test_tables_fold_a_long_description_on_a_terminal(warehouse, monkeypatch):
    monkeypatch.setattr(cli, "_terminal_width", lambda: 60)
    result = run(warehouse, "tables")
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 60
    assert "┃ schema ┃" in result.stdout and "block" not in result.stdout


DESCRIBED = """\
marts.dim_report (table, 3 rows): One row per report kept.
┏━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ column      ┃ type         ┃ nullable ┃ description                 ┃
┡━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ report_id   │ VARCHAR      │ true     │ NULL                        │
│ region_name │ VARCHAR      │ true     │ NULL                        │
│ report_year │ INTEGER      │ true     │ The year the report covers. │
│ note        │ VARCHAR      │ true     │ NULL                        │
│ amount      │ DECIMAL(6,2) │ true     │ NULL                        │
│ published   │ DATE         │ true     │ NULL                        │
└─────────────┴──────────────┴──────────┴─────────────────────────────┘
"""


@pytest.mark.parametrize("name", ["dim_report", "marts.dim_report", "DIM_REPORT"])
@pytest.mark.unit
def test_describe_lists_the_columns(warehouse, name):
    result = run(warehouse, "describe", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == DESCRIBED


@pytest.mark.unit
def test_describe_a_view_in_another_schema(warehouse):
    result = run(warehouse, "describe", "recent", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout == '"column","type","nullable","description"\n"report_id","VARCHAR",true,\n'
    )
    assert run(warehouse, "describe", "main.recent", "--format", "csv").stdout == result.stdout


@pytest.mark.parametrize(
    "name, says",
    [
        ("dim_reprot", "did you mean marts.dim_report?"),
        ("marts.recnt", "did you mean main.recent, marts.dim_report?"),
        ("nothing_like_it", "`disclosure tables` lists them."),
    ],
)
@pytest.mark.unit
def test_describe_an_unknown_table(warehouse, name, says):
    result = run(warehouse, "describe", name)
    assert result.exit_code == 1
    assert result.output == f"Error: no table or view {name!r} in the warehouse; {says}\n"
