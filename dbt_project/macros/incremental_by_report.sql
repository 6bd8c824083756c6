{#-
Models incremental by report: the marts that hold rows per report, and the
intermediate models they read those rows from (so neither the marts nor the
tests compute window functions and pair joins over every report again). Each
such model keeps, in schema build_state, a table of the same name: the reports
(id, content, extractor, identity) it was last built from, written in the same
transaction as its rows. A model reads its upstream incremental models whole
(they are rebuilt first in the same run). A run rebuilds
only the rows of the reports that changed, appeared or left since, and of the
reports whose rows depend on those: a report shares its kept copy with the
files of its organization and year (int_reports__deduplicated), and its
year-to-year findings with the previous report of its organization, or of its
region (int_findings__report_pairs). So around every changed report (its
identity before and now) the reports of the same organization, region code or
region name are rebuilt, and around those again. With no ledger, or on
`dbt build --full-refresh`, a model is built whole.

The reports a run rebuilds are worked out once, before the model's rows, into
build_state.<model>__rebuilt; the delete, the model's filters and the tests
restricted to what the run rebuilt (macros/get_where_subquery.sql) read them
from there.

In a model:
    {{ incremental_by_report() }}
    -- depends_on: {{ ref('stg_landing__reports') }}
    ... where {{ rebuilt_only('report_id') }}
-#}

{% macro incremental_by_report() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ record_reports_to_rebuild() }}", "{{ delete_reports_to_rebuild() }}"],
        post_hook="{{ record_reports_built() }}",
    ) }}
{%- endmacro %}


{% macro reports_ledger() -%}
    {{ return(api.Relation.create(
        database=this.database, schema='build_state', identifier=this.identifier
    )) }}
{%- endmacro %}


{# The reports the last run of the model `relation` rebuilt (all of them when it was built whole). #}
{% macro reports_rebuilt(relation) -%}
    {{ return(api.Relation.create(
        database=relation.database, schema='build_state', identifier=relation.identifier ~ '__rebuilt'
    )) }}
{%- endmacro %}


{# The columns a report's rows in a model are a function of, with its identity. #}
{% macro _ledger_columns() -%}
    report_id, source_sha256, extractor_version, organization, report_year, region_code, region_name
{%- endmacro %}


{% macro _has_ledger() -%}
    {{ return(execute and load_relation(reports_ledger()) is not none) }}
{%- endmacro %}


{# The ids of the reports whose rows this run rebuilds, as a query. The few
   changed reports and their keys are computed first (materialized), so the
   joins start from them and not from every report's keys. #}
{% macro _reports_to_rebuild() -%}
    with

    now as (
        select {{ _ledger_columns() }} from {{ ref('stg_landing__reports') }}
    ),

    built as (
        select {{ _ledger_columns() }} from {{ reports_ledger() }}
    ),

    changed as materialized (
        (select * from now except select * from built)
        union all
        (select * from built except select * from now)
    ),

    now_keys as (
        select report_id, 'organization' as kind, organization as key from now
        union all
        select report_id, 'region_code', region_code from now
        union all
        select report_id, 'region_name', region_name from now
    ),

    changed_keys as (
        select 'organization' as kind, organization as key from changed
        union
        select 'region_code', region_code from changed
        union
        select 'region_name', region_name from changed
    ),

    near as materialized (
        select now_keys.report_id
        from now_keys
        inner join changed_keys
            on now_keys.kind = changed_keys.kind
            and now_keys.key = changed_keys.key
    ),

    near_keys as materialized (
        select distinct now_keys.kind, now_keys.key
        from now_keys
        inner join near
            on now_keys.report_id = near.report_id
        where now_keys.key is not null
    ),

    nearer as (
        select now_keys.report_id
        from now_keys
        inner join near_keys
            on now_keys.kind = near_keys.kind
            and now_keys.key = near_keys.key
    )

    select report_id from changed
    union
    select report_id from nearer
{%- endmacro %}


{% macro record_reports_to_rebuild() -%}
    {%- if execute -%}
        create schema if not exists {{ reports_ledger().without_identifier() }};
        create or replace table {{ reports_rebuilt(this) }} as
        {% if is_incremental() and _has_ledger() -%}
            {{ _reports_to_rebuild() }}
        {%- else -%}
            select report_id from {{ ref('stg_landing__reports') }}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}


{# A filter on the rows of the reports this run rebuilds (every row when the model is built whole). #}
{% macro rebuilt_only(column) -%}
    {%- if is_incremental() -%}
        {{ _in_rebuilt(column, this) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{# Whether `column` is the id of a report the last run of the model `relation` rebuilt. #}
{% macro _in_rebuilt(column, relation) -%}
    {{ column }} in (select report_id from {{ reports_rebuilt(relation) }})
{%- endmacro %}


{% macro delete_reports_to_rebuild() -%}
    {%- if is_incremental() and _has_ledger() -%}
        delete from {{ this }} where {{ _in_rebuilt('report_id', this) }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{# The ledger is landing's reports as this run built them. Only the rows of the
   reports rebuilt can differ from the last run's (every report whose row
   differs is rebuilt), so an incremental run replaces those rows alone. #}
{% macro record_reports_built() -%}
    {%- if execute and is_incremental() and _has_ledger() -%}
        delete from {{ reports_ledger() }} where {{ _in_rebuilt('report_id', this) }};
        insert into {{ reports_ledger() }}
        select {{ _ledger_columns() }} from {{ ref('stg_landing__reports') }}
        where {{ _in_rebuilt('report_id', this) }}
    {%- elif execute -%}
        create or replace table {{ reports_ledger() }} as
        select {{ _ledger_columns() }} from {{ ref('stg_landing__reports') }}
    {%- endif -%}
{%- endmacro %}
