"""The published warehouse: the build database copied atomically once every mart is built."""

import dagster as dg

from orchestration.assets.dbt import MART_KEYS
from orchestration.publish import publish_database
from orchestration.settings import Settings


@dg.asset(
    key="published_warehouse",
    deps=MART_KEYS,
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "The warehouse readers open: the build database copied next to the target, "
        "fsynced, checked, and moved over the old file with os.replace."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = Settings.from_env()
    required = tuple(".".join(key.path) for key in MART_KEYS)
    counts = publish_database(settings.build_db, settings.warehouse_path, required)
    size = settings.warehouse_path.stat().st_size
    context.log.info(f"published {settings.warehouse_path} ({size} bytes): {counts}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse_path)),
            "size_bytes": size,
            **{f"rows/{table}": n for table, n in counts.items()},
        }
    )
