"""Whether a dbt build may rebuild the marts incrementally, and the record that
says which dbt project the marts were last built with.

The marts that hold rows per report are incremental
(dbt_project/macros/incremental_by_report.sql): a run rebuilds the rows of the
reports that changed since. That is sound only while the models are the ones
that built the rows there: when the dbt project changed (a model, a macro, a
seed), or when asked, the build is a full refresh. The unit tests check the dbt
project itself, not the data, so they run with a full refresh only: an
incremental build follows a build that passed them on the same project.
"""

from __future__ import annotations

from orchestration import code_version
from orchestration.settings import Settings

SCHEMA = "build_state"
RECORD = f"{SCHEMA}.dbt_project"


def built_with(settings: Settings) -> str | None:
    """The digest of the dbt project the marts of the build database were last
    built with (by a dbt build that passed), None when nothing says."""
    if not settings.build_db.exists():
        return None
    with settings.connect(read_only=True) as con:
        found = con.execute(
            "select 1 from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = 'dbt_project'",
            [SCHEMA],
        ).fetchone()
        return con.execute(f"select digest from {RECORD}").fetchone()[0] if found else None


def full_refresh_reason(settings: Settings) -> str | None:
    """Why this build rebuilds every mart whole; None: only what changed."""
    if settings.full_refresh:
        return "a full refresh was asked for"
    recorded = built_with(settings)
    if recorded is None:
        return "no dbt build of these marts is recorded"
    if recorded != code_version.digest(code_version.DBT):
        return "the dbt project changed since the marts were built"
    return None


def dbt_build_args(settings: Settings) -> tuple[list[str], str | None]:
    """The options of `dbt build` after --vars, and the full refresh's reason."""
    reason = full_refresh_reason(settings)
    return (["--full-refresh"] if reason else ["--exclude", "test_type:unit"]), reason


def record_built(settings: Settings, digest: str) -> None:
    """After a dbt build that passed: the marts are those of the dbt project `digest`."""
    with settings.connect() as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create or replace table {RECORD} as "
            "select ? as digest, current_timestamp as built_at",
            [digest],
        )
