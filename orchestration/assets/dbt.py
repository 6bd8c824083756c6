"""The dbt project's seeds, models and tests as Dagster assets and checks."""

import graphlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration import code_version, docs, incremental, progress
from orchestration.dbt_in_process import DbtInProcess
from orchestration.ingest.landing import drop_stale_relations
from orchestration.lock import BuildLock
from orchestration.project import dbt_project
from orchestration.settings import Settings


class DisclosureDbtTranslator(DagsterDbtTranslator):
    """Keys are [schema, name] (["staging", "stg_landing__cells"], ["marts", "dim_report"],
    ["seeds", "indicators"]) and the group is the schema. Sources keep the key
    their `meta.dagster.asset_key` names: the Python landing assets."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props["schema"]
        return super().get_group_name(dbt_resource_props)


def _wait_for(process: DbtInProcess) -> None:
    """Never leave the step (and the build's lock) while dbt still runs: the
    stream ended early (a failure, the run stopped) stops it."""
    if process.poll() is None:
        process.kill()
    process.wait()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=DisclosureDbtTranslator(
        settings=DagsterDbtTranslatorSettings(
            enable_code_references=True,
            # landing.files and the collector's tables are written by one asset (discovery).
            enable_duplicate_source_asset_keys=True,
        )
    ),
)
def disclosure_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: Settings,
    build_lock: BuildLock,  # held for the run, also when only some models are materialized
):
    """`dbt build`: seeds, staging views, mart tables, then their tests as asset checks."""
    # A model removed or renamed since the last run would leave its table
    # behind: drop those first.
    dropped = drop_stale_relations(settings.build_db, _dbt_relations())
    if dropped:
        context.log.info(f"dropped relations no dbt model builds any more: {dropped}")
    project_digest = code_version.digest(code_version.DBT)
    whole = context.selected_asset_keys == set(context.assets_def.keys) and (
        context.selected_asset_check_keys == set(context.assets_def.check_keys)
    )
    manifest = json.loads(dbt_project.manifest_path.read_text())
    build_args, full_refresh = incremental.dbt_build_args(settings, whole, manifest)
    incremental.forget_built(settings)
    leaves = incremental.leaves_unchanged(whole, full_refresh)
    unchanged = _left_unchanged(context, manifest) if leaves else {}
    context.log.info(
        f"full refresh: {full_refresh}"
        if full_refresh
        else "incremental: the marts rebuild the rows of the reports that changed"
        + (f"; {len(unchanged)} views and seeds are left as they are" if unchanged else "")
    )
    # Nor the tests whose result the project fixes (incremental.fixed_tests).
    fixed = (
        {manifest["nodes"][uid]["name"] for uid in incremental.fixed_tests(manifest)}
        if leaves
        else set()
    )
    checks = [k for k in context.selected_asset_check_keys if k.name not in fixed]
    progress.emit("stage", name="dbt", total=len(context.selected_asset_keys) + len(checks))
    # profiles.yml reads the build database from --vars.
    args = ["build", *build_args]
    # One target folder next to the build database, reused run after run
    # (dagster-dbt's default is a new folder under dbt_project/target each time).
    invocation = dbt.cli(args, context=context, target_path=settings.dbt_target_dir)
    events, failure = [], None
    try:
        for event in invocation.stream():
            if isinstance(event, dg.Output | dg.AssetMaterialization):
                progress.emit("dbt", name=event.output_name if isinstance(event, dg.Output) else "")
            elif isinstance(event, dg.AssetCheckResult):
                progress.emit("dbt", name=event.check_name, passed=event.passed)
            events.append(event)
    except Exception as e:  # a model or test failed: what was built is still reported
        failure = e
    finally:
        _wait_for(invocation.process)
    if failure is None:  # what this build did not run is as the last one left it
        done = {e.output_name for e in events if isinstance(e, dg.Output)}
        ahead = []
        for name, node in unchanged.items():
            if name not in done:
                metadata = {"unique_id": node["unique_id"], "dbt": NOT_RUN[node["resource_type"]]}
                ahead.append(dg.Output(None, output_name=name, metadata=metadata))
                progress.emit("dbt", name=name)
        events = _upstream_first(context, ahead + events)
    # Row counts and column types are read once dbt has ended: while it runs, it
    # holds the build database (DuckDB: one writer per file, and no second
    # connection in this process with another configuration).
    yield from _with_table_metadata(context, settings, events)
    if failure is not None:
        raise failure
    if context.selected_asset_keys == set(context.assets_def.keys):  # every model was built
        incremental.record_built(settings, project_digest)
    published = dg.AssetKey("published_warehouse")
    if context.run.asset_selection is not None and published not in context.run.asset_selection:
        context.log.warning(
            f"only the build database {settings.build_db} was updated: the published "
            f"warehouse {settings.warehouse_path} is unchanged until published_warehouse "
            "is materialized (or the build_warehouse job runs)"
        )


NOT_RUN = {
    "model": "not run: the view is the one this dbt project defines; it reads the current "
    "tables when queried",
    "seed": "not run: loaded by an earlier build from the same seed file",
}


def _left_unchanged(context: dg.AssetExecutionContext, manifest: Mapping) -> dict[str, dict]:
    """Output name -> manifest node of each view and seed an incremental build of
    the whole project leaves as it is (incremental.UNCHANGED)."""
    translator, assets = DisclosureDbtTranslator(), context.assets_def
    return {
        assets.get_output_name_for_asset_key(key): node
        for node in incremental.left_unchanged(manifest["nodes"].values())
        if (key := translator.get_asset_key(node)) in assets.keys
    }


def _upstream_first(context: dg.AssetExecutionContext, events: list) -> list:
    """The events in an upstream-first order of the dbt assets (Dagster wants a
    multi-asset's outputs in dependency order; a view left as it is may read a
    table this build rebuilt). The sort is stable, so an asset's checks stay
    after its output."""
    assets = context.assets_def
    order = graphlib.TopologicalSorter(
        {
            key: [dep.asset_key for dep in spec.deps if dep.asset_key in assets.keys]
            for key, spec in assets.specs_by_key.items()
        }
    ).static_order()
    rank = {key: i for i, key in enumerate(order)}
    keys = assets.keys_by_output_name

    def place(event) -> int:
        key = keys[event.output_name] if isinstance(event, dg.Output) else event.asset_key
        return rank.get(key, len(rank))

    return sorted(events, key=place)


def _with_table_metadata(
    context: dg.AssetExecutionContext, settings: Settings, events: list
) -> Iterator:
    """Each model's Output with its row count and its columns (name, DuckDB type,
    dbt description) as Dagster's table metadata."""
    outputs = [e for e in events if isinstance(e, dg.Output)]
    relations = {id(e): tuple(context.asset_key_for_output(e.output_name).path) for e in outputs}
    described = _column_descriptions()
    with settings.connect(read_only=True) as con:
        found = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, "
            "ordinal_position"
        ).fetchall()
        columns: dict[tuple[str, str], list[dg.TableColumn]] = {}
        for schema, table, column, data_type in found:
            text = described.get((schema, table), {}).get(column)
            columns.setdefault((schema, table), []).append(
                dg.TableColumn(column, data_type, description=text)
            )
        counts = {
            relation: con.execute(
                f"select count(*) from {'.'.join(quote(p) for p in relation)}"
            ).fetchone()[0]
            for relation in set(relations.values())
            if relation in columns
        }
    for event in events:
        relation = relations.get(id(event))
        if relation in counts:
            event = event.with_metadata(
                {
                    **event.metadata,
                    "dagster/row_count": counts[relation],
                    "dagster/column_schema": dg.TableSchema(columns=columns[relation]),
                    "dbt_docs": dg.MetadataValue.url(
                        docs.docs_url(settings, event.metadata["unique_id"].value)
                    ),
                }
            )
        yield event


def _column_descriptions() -> dict[tuple[str, str], dict[str, str]]:
    """(schema, relation) -> {column: description} from the dbt manifest."""
    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    return {
        (n["schema"], n.get("alias") or n["name"]): {
            name: c.get("description") or None for name, c in n.get("columns", {}).items()
        }
        for n in nodes
        if n["resource_type"] in ("model", "seed", "snapshot")
    }


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dbt_relations() -> set[tuple[str, str]]:
    """(schema, relation) of every model, seed and snapshot of the manifest."""
    nodes = json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
    return {
        (n["schema"], n.get("alias") or n["name"])
        for n in nodes
        if n["resource_type"] in ("model", "seed", "snapshot")
        and n["config"].get("materialized") != "ephemeral"
    }


MART_KEYS = sorted(
    (key for key in disclosure_dbt_models.keys if key.path[0] == "marts"),
    key=lambda k: k.to_user_string(),
)
