"""dbt run in the build's process (orchestration/dbt_in_process.py): builds one
after the other in one process give the marts and the Dagster events that
dagster-dbt makes from the dbt CLI in a child process; a failure, an error and
a stop end the command as they end the CLI, and dbt leaves the build database
free for the next connection."""

import json
import signal
import subprocess
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration import definitions
from orchestration.dbt_in_process import InProcessDbtCliResource
from orchestration.project import DBT_EXECUTABLE, dbt_project
from orchestration.settings import Settings, connect
from tests.fixtures.warehouse import mart_rows

# Metadata dagster-dbt gives each run its own value of.
PER_RUN = {"invocation_id", "Execution Duration"}


def in_process() -> InProcessDbtCliResource:
    return InProcessDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def build_args(db) -> list[str]:
    return ["build", "--vars", json.dumps({"build_db": str(db)})]


def assert_released(db) -> None:
    """Nothing in this process holds `db`: DuckDB opens it with another
    configuration than dbt's (it refuses while dbt's connection is open)."""
    with connect(db, config={"threads": 1}) as con:
        con.execute("select 1").fetchall()


@pytest.mark.dbt
def test_an_error_dbt_raises_fails_the_command_with_its_message(tmp_path):
    for args, message in [
        (["build", "--target", "nope"], "does not have a target named 'nope'"),
        (["build", "--no-such-option"], "No such option '--no-such-option'"),
    ]:
        invocation = in_process().cli(args, target_path=tmp_path / "target")
        with pytest.raises(DagsterDbtCliRuntimeError, match=message):
            invocation.wait()
        assert invocation.process.returncode == 2


@pytest.mark.dbt
def test_a_failing_node_exits_1_and_releases_the_database(tmp_path):
    db = tmp_path / "disclosure.duckdb"  # no landing tables: the model fails
    args = [*build_args(db), "--select", "dim_report"]
    invocation = in_process().cli(args, target_path=tmp_path / "target", raise_on_error=False)
    assert not invocation.is_successful()
    assert invocation.process.returncode == 1
    assert invocation.get_artifact("run_results.json")["results"][0]["status"] == "error"
    assert_released(db)


@pytest.mark.dbt
def test_a_stopped_command_ends_as_the_cli_on_sigint(tmp_path):
    """dagster-dbt sends SIGINT when the run is stopped, and the asset kills a
    command it stops reading: dbt stops after the nodes it was running."""
    db = tmp_path / "disclosure.duckdb"
    invocation = in_process().cli(
        build_args(db), target_path=tmp_path / "target", raise_on_error=False
    )
    names = []
    for event in invocation.stream_raw_events():
        names.append(event.raw_event["info"]["name"])
        if names.count("LogStartLine") == 2 and names[-1] == "LogStartLine":
            invocation.process.send_signal(signal.SIGINT)
    assert invocation.process.wait(timeout=60) == 2
    assert names[-2:] == ["MainEncounteredError", "MainStackTrace"]
    assert names.count("LogStartLine") < 10  # of 9 seeds and 37 models
    invocation.process.kill()  # once ended, nothing to stop
    assert_released(db)


@pytest.fixture(scope="module")
def runs(built_warehouse_dirs, session_copy, settings_env):
    """The session's raw folder and extraction cache built three times in this
    process: in-process dbt twice (a full build, then an incremental one),
    then the incremental build again with dagster-dbt's own resource, dbt as
    a child process. Commands started in this process are recorded."""
    session_warehouse = built_warehouse_dirs[1]
    root, raw, cache = session_copy("in_process")
    warehouse = root / "warehouse" / "disclosure.duckdb"
    out = {"session": mart_rows(session_warehouse), "commands": {}}
    real_popen = subprocess.Popen

    def recorded(name):
        def popen(args, *more, **kwargs):
            out["commands"][name].append(args)
            return real_popen(args, *more, **kwargs)

        return popen

    with settings_env(raw, warehouse, cache=cache):
        settings = Settings.from_env()
        for name, resource in [
            ("full", InProcessDbtCliResource),
            ("incremental", InProcessDbtCliResource),
            ("cli", DbtCliResource),
        ]:
            out["commands"][name] = []
            with mock.patch.object(definitions, "InProcessDbtCliResource", resource):
                job = definitions.make_definitions(settings).resolve_job_def("build_warehouse")
            with mock.patch("subprocess.Popen", recorded(name)):
                out[name] = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
            assert out[name].success, name
            assert_released(settings.build_db)
            out[f"{name}_marts"] = mart_rows(warehouse)
    return out


def dbt_events(result) -> dict:
    """The dbt step's materializations and check results, in order, each with
    its metadata (but what differs in every run)."""

    def metadata(m):
        return {k: (None if k in PER_RUN else v) for k, v in m.items()}

    return {
        "materializations": [
            (m.asset_key.to_user_string(), metadata(m.metadata))
            for m in result.asset_materializations_for_node("disclosure_dbt_models")
        ],
        "checks": [
            (e.asset_key.to_user_string(), e.check_name, e.passed, e.severity, metadata(e.metadata))
            for e in result.get_asset_check_evaluations()
            if e.asset_key.path[0] in ("seeds", "staging", "marts")
        ],
    }


@pytest.mark.e2e
def test_builds_in_one_process_run_dbt_in_it(runs):
    def dbt_started(name) -> list:
        return [c for c in runs["commands"][name] if Path(str(c[0])).name == "dbt"]

    assert dbt_started("full") == dbt_started("incremental") == []
    # dagster-dbt's own resource: `dbt --version`, then the command.
    assert [c[1] for c in dbt_started("cli")] == ["--version", "build"]


@pytest.mark.e2e
def test_builds_in_one_process_give_the_marts_of_the_cli(runs):
    assert runs["full_marts"] == runs["session"]
    assert runs["incremental_marts"] == runs["session"]
    assert runs["cli_marts"] == runs["session"]


@pytest.mark.e2e
def test_builds_in_one_process_give_the_dagster_events_of_the_cli(runs):
    incremental, cli = dbt_events(runs["incremental"]), dbt_events(runs["cli"])
    assert incremental["materializations"] == cli["materializations"]
    assert incremental["checks"] == cli["checks"]
    full = dbt_events(runs["full"])
    assert len(full["materializations"]) == len(incremental["materializations"]) > 40
    assert len(full["checks"]) > len(incremental["checks"]) > 50
    assert all(passed for _, _, passed, _, _ in full["checks"])
