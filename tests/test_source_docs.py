"""Every column the Python assets land is described in the dbt sources, so the
dbt docs site and the Dagster UI explain the landing tables too."""

import pytest
import yaml

from orchestration.extract.model import LANDING_SCHEMAS
from orchestration.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.unit


def test_every_landing_column_is_described():
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/__sources.yml").read_text())
    tables = {t["name"]: t for t in sources["sources"][0]["tables"]}
    for name, schema in LANDING_SCHEMAS.items():
        described = {c["name"]: c.get("description") for c in tables[name].get("columns", [])}
        missing = [c for c in schema if not described.get(c)]
        assert not missing, f"landing.{name}: no description of {missing}"
