"""The Dagster code location: assets, the build job, its sensor and schedule, and
the resources every one of them is configured by (orchestration/settings.py)."""

import warnings

import dagster as dg

from orchestration.assets import extraction_partitions
from orchestration.assets.checks import consistency_findings_by_rule
from orchestration.assets.collect import collect_job, collect_sensor, collected_reports
from orchestration.assets.dbt import disclosure_dbt_models
from orchestration.assets.ingest import landing_extraction, raw_folder, raw_report_files
from orchestration.assets.publish import published_warehouse
from orchestration.assets.regions import administrative_divisions
from orchestration.automation import BUILD_JOB, daily_build, raw_folder_sensor
from orchestration.dbt_in_process import InProcessDbtCliResource
from orchestration.lock import BuildLock
from orchestration.project import DBT_EXECUTABLE, dbt_project
from orchestration.settings import Settings

# DuckDB has one writer: every step of a run executes in one process, one at a time.
build_warehouse = dg.define_asset_job(
    BUILD_JOB,
    # Collecting from websites is its own job (collect_reports): a build reads the folder.
    # Parsing by partition is a backfill of its own (extract_partitions).
    selection=dg.AssetSelection.all()
    - dg.AssetSelection.assets("collected_reports", extraction_partitions.KEY),
    executor_def=dg.in_process_executor,
    description="Discover raw files, extract, run dbt (models and tests), publish the warehouse.",
)


def make_definitions(settings: Settings) -> dg.Definitions:
    """The code location configured by `settings` (the CLI passes its own)."""
    with warnings.catch_warnings():
        # Code references are a beta API of Dagster; the warning is not for users.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _definitions(settings)


def _definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        # Each asset's page links to the file and line that define it.
        assets=dg.with_source_code_references(
            [
                collected_reports,
                raw_folder,
                raw_report_files,
                extraction_partitions.extraction_partition,
                landing_extraction,
                administrative_divisions,
                disclosure_dbt_models,
                published_warehouse,
            ]
        ),
        asset_checks=[consistency_findings_by_rule],
        jobs=[build_warehouse, collect_job, extraction_partitions.extract_partitions],
        sensors=[raw_folder_sensor, collect_sensor],
        schedules=[daily_build(settings)],
        resources={
            "settings": settings,
            "dbt": InProcessDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
            "build_lock": BuildLock(settings=settings),
        },
        executor=dg.in_process_executor,
    )


defs = make_definitions(Settings.from_env())
