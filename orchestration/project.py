"""The dbt project as Dagster sees it. Kept free of @dbt_assets so that
`python -m orchestration.project` can import it and parse the dbt project
before the manifest exists (a fresh clone)."""

import sys
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject

from orchestration import code_version
from orchestration.settings import DBT_PROJECT_DIR

# This virtualenv's dbt, found whether or not the virtualenv is activated
# (`.venv/bin/disclosure build`, make, CI): dagster-dbt would look on PATH.
_VENV_DBT = Path(sys.executable).parent / "dbt"
DBT_EXECUTABLE = str(_VENV_DBT) if _VENV_DBT.exists() else "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt project digest the manifest was parsed from (orchestration/code_version.py).
DIGEST_PATH = dbt_project.manifest_path.with_name("manifest.digest")


def prepare_manifest() -> None:
    """`dbt parse`: writes the manifest the dbt assets are read from."""
    DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path
    ).wait()
    DIGEST_PATH.write_text(code_version.digest(code_version.DBT) + "\n")


def ensure_manifest() -> None:
    """Parse the dbt project when the manifest is missing (a fresh clone) or
    was parsed from another version of the dbt project (an edited model)."""
    current = code_version.digest(code_version.DBT)
    recorded = DIGEST_PATH.read_text().strip() if DIGEST_PATH.exists() else None
    if not dbt_project.manifest_path.exists() or recorded != current:
        prepare_manifest()


# `dagster dev` picks up an edited dbt project when the code location reloads.
if DagsterDbtProjectPreparer().using_dagster_dev():
    ensure_manifest()

if __name__ == "__main__":
    ensure_manifest()
