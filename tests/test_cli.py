"""The `disclosure` command line."""

import duckdb
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.settings import ENV_WAREHOUSE


def small_warehouse(path):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_report as "
            "select * from (values ('r1', '贺兰县', 2018), ('r2', '隆德县', 2020)) "
            "as t(report_id, region_name, report_year)"
        )
    return path


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


def test_query_reads_the_warehouse_from_the_environment(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main, ["query", "select count(*) as n from marts.dim_report"], env={ENV_WAREHOUSE: str(wh)}
    )
    assert result.exit_code == 0, result.output
    assert "│ 2 " in result.output


def test_query_limits_rows(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main, ["query", "select * from range(10)", "--warehouse", str(wh), "--max-rows", "3"]
    )
    assert result.exit_code == 0
    assert "more than 3 rows" in result.output


def test_query_without_a_warehouse_says_so(tmp_path):
    result = CliRunner().invoke(
        main, ["query", "select 1", "--warehouse", str(tmp_path / "none.duckdb")]
    )
    assert result.exit_code == 1
    assert "no warehouse at" in result.output and "disclosure build" in result.output
    assert "Traceback" not in result.output


def test_query_reports_sql_errors_plainly(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(main, ["query", "select * from nowhere", "--warehouse", str(wh)])
    assert result.exit_code == 1
    assert "nowhere" in result.output and "Traceback" not in result.output


def test_query_is_read_only(tmp_path):
    wh = small_warehouse(tmp_path / "disclosure.duckdb")
    result = CliRunner().invoke(
        main, ["query", "drop table marts.dim_report", "--warehouse", str(wh)]
    )
    assert result.exit_code == 1
    assert "read-only" in result.output.lower()


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
    assert f"│ {n_files} " in query.output


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
