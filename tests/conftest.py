"""Shared fixtures. `built_warehouse` builds the whole warehouse once per session."""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from orchestration.settings import (
    ENV_BUILD_DB,
    ENV_CACHE,
    ENV_RAW,
    ENV_WAREHOUSE,
    ENV_WORKERS,
    PROJECT_ROOT,
    Settings,
)

RAW = PROJECT_ROOT / "raw"


def pytest_sessionstart(session):
    # Importing the definitions needs the dbt manifest; a fresh clone has none.
    from orchestration.project import ensure_manifest

    ensure_manifest()


# The layers of the suite (pyproject.toml's markers): `pytest -m unit` runs in
# seconds, `-m dbt` runs dbt on small build databases, `-m e2e` the whole runs.
LAYERS = ("unit", "dbt", "e2e")
# Fixtures that build the whole warehouse: a test using one is e2e.
WHOLE_BUILD = {"built_warehouse_run", "built_warehouse_dirs", "built_warehouse"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test has exactly one layer mark, checked before `-m` selects."""
    wrong = []
    for item in items:
        layers = sorted({m.name for m in item.iter_markers() if m.name in LAYERS})
        if len(layers) != 1:
            wrong.append(f"{item.nodeid}: {' and '.join(layers) or 'no layer'}")
        elif layers != ["e2e"] and WHOLE_BUILD & set(item.fixturenames):
            wrong.append(f"{item.nodeid}: {layers[0]}, but it uses the whole build (e2e)")
    if wrong:
        raise pytest.UsageError(
            "every test needs exactly one of the marks "
            + ", ".join(f"pytest.mark.{m}" for m in LAYERS)
            + " (pytestmark at the top of its module, or on the test):\n  "
            + "\n  ".join(wrong)
        )


@contextmanager
def _settings_env(raw: Path, warehouse: Path, **more):
    """DISCLOSURE_RAW / DISCLOSURE_WAREHOUSE set, the other DISCLOSURE_* variables
    unset unless given in `more` (keys: build_db, cache, workers); all restored after."""
    names = {"build_db": ENV_BUILD_DB, "cache": ENV_CACHE, "workers": ENV_WORKERS}
    with mock.patch.dict(os.environ, {ENV_RAW: str(raw), ENV_WAREHOUSE: str(warehouse)}):
        for key, var in names.items():
            if more.get(key) is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = str(more[key])
        yield


@pytest.fixture(scope="session")
def settings_env():
    """The context manager that points the settings at other paths for a block."""
    return _settings_env


@pytest.fixture(scope="session")
def built_warehouse_run(tmp_path_factory):
    """(raw copy, published warehouse path, the job's ExecuteInProcessResult)
    after running the build_warehouse job once."""
    from dagster import DagsterInstance

    from orchestration.definitions import make_definitions

    root = tmp_path_factory.mktemp("built")
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    warehouse = root / "warehouse" / "disclosure.duckdb"
    with _settings_env(raw, warehouse):
        defs = make_definitions(Settings.from_env())
        result = defs.resolve_job_def("build_warehouse").execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    if not result.success:
        errors = [
            f"{e.step_key}: {e.step_failure_data.error.to_string()}"
            for e in result.all_events
            if e.is_step_failure and e.step_failure_data.error
        ]
        pytest.fail("build_warehouse failed:\n" + "\n".join(errors))
    return raw, warehouse, result


@pytest.fixture(scope="session")
def built_warehouse_dirs(built_warehouse_run):
    """(raw copy, published warehouse path) after running the build_warehouse job once."""
    return built_warehouse_run[:2]


@pytest.fixture(scope="module")
def session_copy(built_warehouse_dirs, tmp_path_factory):
    """A copy of the session build's raw folder and extraction cache in a new
    folder named `name`: (that folder, its raw folder, its cache), to build
    again without parsing."""
    session_raw, session_warehouse = built_warehouse_dirs

    def copy(name: str) -> tuple[Path, Path, Path]:
        root = tmp_path_factory.mktemp(name)
        shutil.copytree(session_raw, root / "raw")
        cache = root / "cache" / "extractions.duckdb"
        cache.parent.mkdir()
        shutil.copyfile(session_warehouse.parent / "cache" / "extractions.duckdb", cache)
        return root, root / "raw", cache

    return copy


@pytest.fixture(scope="session")
def built_warehouse(built_warehouse_dirs) -> Path:
    """Path of a published warehouse built by the whole job from a copy of raw/."""
    return built_warehouse_dirs[1]
