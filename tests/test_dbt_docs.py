"""`dbt docs generate` works offline on the built warehouse; every model, seed
and source is described, and every column of every model and seed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR, ENV_BUILD_DB

pytestmark = pytest.mark.e2e


def test_docs_generate_and_every_column_is_described(built_warehouse, tmp_path):
    # dbt names the database after the file: the copy keeps the warehouse's name.
    db = tmp_path / "db" / built_warehouse.name
    db.parent.mkdir()
    shutil.copy(built_warehouse, db)
    target = tmp_path / "target"
    env = {**os.environ, ENV_BUILD_DB: str(db)}
    dbt = Path(sys.executable).parent / "dbt"
    run = subprocess.run(
        [
            str(dbt),
            "docs",
            "generate",
            "--target-path",
            str(target),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert (target / "index.html").exists()
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())

    undocumented = []
    for uid, node in {**manifest["nodes"], **manifest["sources"]}.items():
        if node["resource_type"] not in ("model", "seed", "source"):
            continue
        if not node.get("description", "").strip():
            undocumented.append(uid)
        described = {c for c, col in node["columns"].items() if col.get("description", "").strip()}
        actual = catalog["nodes"].get(uid)
        if actual is None:  # sources: their columns are described in the staging models
            continue
        undocumented += [
            f"{uid}.{c}"
            for c in actual["columns"]
            if c.lower() not in {d.lower() for d in described}
        ]
    assert undocumented == [], "\n".join(undocumented)
