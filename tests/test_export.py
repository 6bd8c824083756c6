"""`disclosure export` writes every mart, whole, as Parquet or CSV."""

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main

pytestmark = pytest.mark.e2e


def test_export_every_mart_as_parquet_and_csv(built_warehouse, tmp_path):
    con = duckdb.connect(str(built_warehouse), read_only=True)
    marts = {
        t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
        for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    con.close()
    assert {"dim_report", "dim_region", "fct_indicator_value", "region_year_summary"} <= set(marts)
    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        result = CliRunner().invoke(
            main, ["export", str(out), "--format", fmt, "--warehouse", str(built_warehouse)]
        )
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [f"{t}.{fmt}" for t in marts] + ["data_dictionary.csv"]
        )
        dictionary = duckdb.connect().execute(
            f"select type, description from read_csv_auto('{out / 'data_dictionary.csv'}') "
            "where \"table\" = 'dim_report' and \"column\" = 'report_year'"
        )
        kind, description = dictionary.fetchone()
        assert kind == "INTEGER" and "year" in description.lower()
        reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
        for table, rows in marts.items():
            assert (
                duckdb.connect()
                .execute(f"select count(*) from {reader}('{out / f'{table}.{fmt}'}')")
                .fetchone()[0]
                == rows
            )


def test_export_without_a_warehouse_says_so(tmp_path):
    result = CliRunner().invoke(
        main, ["export", str(tmp_path / "out"), "--warehouse", str(tmp_path / "none.duckdb")]
    )
    assert result.exit_code == 1 and "no warehouse" in result.output
