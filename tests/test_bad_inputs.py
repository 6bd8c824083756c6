"""Bad input next to good seeds, through `disclosure build` and the real
extractor: every bad file gets its own reason in marts.ingest_error and in the
run log, every good file loads, the build exits 0 and says how many failed,
and `--strict` exits 1. The folder is tests/fixtures/bad_inputs.py."""

import csv
from pathlib import Path, PurePath

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.extract.refusals import REFUSALS
from tests.fixtures.bad_inputs import BAD, CODES, DUPLICATE, DUPLICATE_OF, GOOD, write_bad_inputs
from tests.test_refusals import words_of

pytestmark = pytest.mark.e2e

GOLD = Path(__file__).parent / "gold"
N_FAILED = len(BAD)


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory, settings_env, monkeypatch_module):
    root = tmp_path_factory.mktemp("bad_inputs")
    raw = write_bad_inputs(root / "raw")
    warehouse = root / "warehouse" / "disclosure.duckdb"
    # A Dagster instance on disk, as in production, to read the run log back.
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch_module.setenv("DAGSTER_HOME", str(home))
    with settings_env(raw, warehouse):
        first = CliRunner().invoke(main, ["build", "--progress"])
        strict = CliRunner().invoke(main, ["build", "--strict"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        errors = {
            row[0]: row[1:]
            for row in con.execute(
                "select source_path, stage, reason, duplicate_of from marts.ingest_error"
            ).fetchall()
        }
        codes = dict(con.execute("select source_path, code from marts.ingest_error").fetchall())
        reports = {
            row[0]: row[1:]
            for row in con.execute(
                "select r.source_path, r.source_format, r.organization, r.report_year, "
                "(select count(*) from marts.fct_indicator_value f "
                " where f.report_id = r.report_id and f.value_source = 'table') "
                "from marts.dim_report r"
            ).fetchall()
        }
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        [first_run] = instance.get_runs(limit=2)[-1:]  # the first of the two runs
        log = [
            entry.user_message
            for entry in instance.all_logs(first_run.run_id)
            if entry.level >= 30  # warnings and errors
        ]
    return {
        "first": first,
        "strict": strict,
        "errors": errors,
        "codes": codes,
        "reports": reports,
        "log": log,
    }


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_has_its_reason(bad_build, name):
    stage, fragments = BAD[name]
    assert name in bad_build["errors"], f"{name} not in marts.ingest_error"
    got_stage, reason, duplicate_of = bad_build["errors"][name]
    assert got_stage == stage, reason
    for fragment in fragments:
        assert fragment in reason
    assert duplicate_of is None
    assert name not in bad_build["reports"]


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_in_the_run_log(bad_build, name):
    stage, _ = BAD[name]
    reason = bad_build["errors"][name][1]
    assert any(
        message.startswith(f"{name}: {stage}: ") and reason in message
        for message in bad_build["log"]
    ), name


def test_every_ingest_error_has_the_code_of_its_reason(bad_build):
    assert bad_build["codes"] == {**CODES, DUPLICATE: "duplicate"}
    for name, code in bad_build["codes"].items():
        stage, reason, _ = bad_build["errors"][name]
        assert stage == REFUSALS[code].stage, name
        assert words_of(code, reason), (name, reason)


def test_a_duplicate_report_is_listed_with_the_file_kept(bad_build):
    stage, reason, duplicate_of = bad_build["errors"][DUPLICATE]
    assert stage == "deduplicate" and duplicate_of == DUPLICATE_OF
    assert reason.startswith(f"same report as {DUPLICATE_OF} (隆德县人民政府, 2020)")
    assert "html is preferred to text" in reason
    assert DUPLICATE not in bad_build["reports"] and DUPLICATE_OF in bad_build["reports"]
    assert any(m.startswith(f"{DUPLICATE}: deduplicate: ") for m in bad_build["log"])


def test_every_good_file_loads(bad_build):
    with open(GOLD / "seed_reports.csv", encoding="utf-8") as f:
        gold = {g["report"]: g for g in csv.DictReader(f)}
    assert set(bad_build["reports"]) == set(GOOD)
    for name, fmt in GOOD.items():
        source_format, organization, year, cells = bad_build["reports"][name]
        g = gold[PurePath(name).stem[:20]]
        assert (source_format, organization, str(year)) == (fmt, g["organization"], g["year"])
        assert cells >= 58, name


def test_the_build_exits_0_and_says_how_many_files_failed(bad_build):
    result = bad_build["first"]
    assert result.exit_code == 0, result.output
    assert f"{N_FAILED} files failed, 1 duplicate report left out" in result.output
    assert len(bad_build["errors"]) == N_FAILED + 1


def test_progress_lists_each_parsed_file_and_its_failure(bad_build):
    lines = [ln for ln in bad_build["first"].output.splitlines() if ln.startswith("extract [")]
    parsed = len(BAD) + len(GOOD) + 1 - 4  # empty, .doc, .zip and huge never reach it
    assert len(lines) == parsed
    assert any(
        ln.endswith("encrypted.pdf: FAILED: encrypted PDF: a password is required to open it")
        for ln in lines
    )


def test_strict_exits_1_and_the_refused_files_are_not_parsed_again(bad_build):
    result = bad_build["strict"]
    assert result.exit_code == 1
    assert f"--strict: {N_FAILED} files failed to load" in result.output
    assert "0 / 11" in result.output  # parsed now / reused: refusals are cached too
