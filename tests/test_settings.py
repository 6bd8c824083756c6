"""The configuration: one module reads the environment, one function opens DuckDB."""

import re
from pathlib import Path

import pytest

from orchestration.settings import (
    ENV_BUILD_DB,
    ENV_MAX_TEXT_MB,
    ENV_RAW,
    ENV_RETRY_FAILED,
    ENV_WAREHOUSE,
    MB,
    PROJECT_ROOT,
    Settings,
)

pytestmark = pytest.mark.unit

PACKAGE = PROJECT_ROOT / "orchestration"


def _sources_matching(pattern: str) -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}")
    return found


def test_only_the_settings_module_reads_the_environment():
    readers = _sources_matching(r"os\.environ|os\.getenv|os\.putenv|getenv\(")
    assert all(r.startswith("orchestration/settings.py:") for r in readers), readers


def test_only_process_environment_writes_the_environment():
    """dbt run in the build's process reads its environment from os.environ:
    settings.process_environment sets it for the command and puts it back."""
    import inspect

    from orchestration import settings

    writers = _sources_matching(
        r"os\.environ\[[^]]+\]\s*=|os\.environ\.(update|pop|setdefault)|del os\.environ"
    )
    lines, first = inspect.getsourcelines(settings.process_environment)
    inside = {f"orchestration/settings.py:{n}" for n in range(first, first + len(lines))}
    assert writers and set(writers) <= inside, writers


def test_process_environment_puts_the_environment_back(monkeypatch):
    import os

    from orchestration.settings import process_environment

    monkeypatch.setenv("DISCLOSURE_TEST_KEPT", "1")
    monkeypatch.setenv("DISCLOSURE_TEST_DROPPED", "1")
    before = dict(os.environ)
    env = {k: v for k, v in before.items() if k != "DISCLOSURE_TEST_DROPPED"}
    with process_environment({**env, "DISCLOSURE_TEST_KEPT": "2", "DBT_TEST_ADDED": "3"}):
        assert os.environ["DISCLOSURE_TEST_KEPT"] == "2"
        assert os.environ["DBT_TEST_ADDED"] == "3"
        assert "DISCLOSURE_TEST_DROPPED" not in os.environ
    assert dict(os.environ) == before


def test_only_the_settings_module_opens_duckdb():
    assert [s.split(":")[0] for s in _sources_matching(r"duckdb\.connect\(")] == [
        "orchestration/settings.py"
    ]


def test_settings_from_an_environment():
    s = Settings.from_env({ENV_WAREHOUSE: "/data/wh/disclosure.duckdb", ENV_MAX_TEXT_MB: "0.5"})
    assert s.warehouse_path == Path("/data/wh/disclosure.duckdb")
    assert s.build_db == Path("/data/wh/build/disclosure.duckdb")
    assert s.cache_db == Path("/data/wh/cache/extractions.duckdb")
    assert s.lock_path == Path("/data/wh/build/disclosure.duckdb.lock")
    assert s.raw_dir == PROJECT_ROOT / "raw"
    assert s.max_text_bytes == MB // 2 and s.max_file_bytes == 200 * MB
    assert s.shards_dir == Path("/data/wh/shards")
    assert s.dbt_vars() == {
        "build_db": "/data/wh/build/disclosure.duckdb",
        "memory_limit": "3072MB",
    }
    assert not s.retry_failed and s.workers == 2


def test_the_cli_options_take_the_place_of_their_variables(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {ENV_RAW: "/elsewhere", ENV_BUILD_DB: "/b/disclosure.duckdb"}
    s = Settings.from_env(env, raw_dir=Path("raw"), warehouse=Path("w/x.duckdb"), retry_failed=True)
    assert s.raw_dir == tmp_path / "raw"  # relative to the working directory
    assert s.warehouse_path == tmp_path / "w" / "x.duckdb"
    assert s.build_db == Path("/b/disclosure.duckdb")  # still the variable's
    assert s.retry_failed
    assert Settings.from_env({ENV_RETRY_FAILED: "1"}).retry_failed
    assert env == {ENV_RAW: "/elsewhere", ENV_BUILD_DB: "/b/disclosure.duckdb"}  # untouched


def test_the_definitions_carry_the_settings_they_were_made_from(tmp_path):
    from orchestration.definitions import make_definitions

    settings = Settings.from_env({ENV_WAREHOUSE: str(tmp_path / "disclosure.duckdb")})
    defs = make_definitions(settings)
    resources = defs.resources
    assert resources["settings"].warehouse_file == str(tmp_path / "disclosure.duckdb")
    assert resources["build_lock"].settings == settings
    assert defs.resolve_schedule_def("daily_build").cron_schedule == settings.schedule_cron
