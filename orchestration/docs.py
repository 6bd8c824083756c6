"""The dbt docs site of the warehouse: every model, column, test and the
lineage graph, as one offline HTML file (`dbt docs generate --static`).

Written beside the published warehouse (`<warehouse dir>/dbt-docs/
static_index.html`), never into dbt_project/target, where the manifest
Dagster loads lives. Each dbt asset's materialization links to its page.
Run `make docs` (`python -m orchestration.docs`) after a build."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from orchestration.lock import build_lock
from orchestration.project import DBT_EXECUTABLE
from orchestration.settings import DBT_PROJECT_DIR, Settings


def docs_dir(settings: Settings) -> Path:
    return settings.warehouse_path.parent / "dbt-docs"


def docs_page(settings: Settings) -> Path:
    return docs_dir(settings) / "static_index.html"


def docs_url(settings: Settings, unique_id: str | None = None) -> str:
    """The docs site, at the page of `unique_id` (a dbt node) when given."""
    url = docs_page(settings).as_uri()
    return f"{url}#!/{unique_id.split('.')[0]}/{unique_id}" if unique_id else url


def generate(settings: Settings) -> Path:
    """Generate the site from the build database (under the build lock: dbt
    opens it for the catalog). Returns the page."""
    target = docs_dir(settings)
    with build_lock(settings.lock_path):
        subprocess.run(
            [
                DBT_EXECUTABLE,
                "docs",
                "generate",
                "--static",
                "--target-path",
                str(target),
                "--vars",
                json.dumps(settings.dbt_vars()),
            ],
            cwd=DBT_PROJECT_DIR,
            check=True,
        )
    return docs_page(settings)


if __name__ == "__main__":
    print(generate(Settings.from_env()))
