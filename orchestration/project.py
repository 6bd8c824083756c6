"""The dbt project as Dagster sees it. Kept free of @dbt_assets so that
`dagster-dbt project prepare-and-package --file orchestration/project.py`
can import it before the manifest exists."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

# dagster-dbt runs `dbt` from PATH: make that this virtualenv's dbt even when the
# virtualenv is not activated (`.venv/bin/disclosure build`, make, CI).
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_BIN, os.environ.get("PATH", "")])

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def _newest_dbt_source() -> float:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += (DBT_PROJECT_DIR / folder).rglob("*")
    return max((f.stat().st_mtime for f in files if f.is_file()), default=0.0)


def ensure_manifest() -> None:
    """Parse the dbt project when the manifest is missing (a fresh clone) or
    older than a file of the dbt project (an edited model or test)."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_dbt_source():
        dbt_project.preparer.prepare(dbt_project)
