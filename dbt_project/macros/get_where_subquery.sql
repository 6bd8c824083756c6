{#-
What a generic test reads of the model it tests (dbt's own macro, with its
`where` config, and one addition). With --vars '{tests_on_rebuilt_reports: true}'
(an incremental `disclosure build`: orchestration/incremental.py), a test on a
model incremental by report (macros/incremental_by_report.sql) that this run
built reads only the rows of the reports the run rebuilt, when checking those
rows alone is as good as checking them all:
  not_null, accepted_values  a row at a time;
  relationships              a row of this model against the whole parent;
  unique_combination_of_columns with report_id among the columns: a report's
                             rows are all rebuilt together.
The rows of the other reports passed the same tests in the last build, which
passed. Every other test, and every test when the var is not set (a plain
`dbt build` or `dbt test`), reads the whole model.
-#}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if _tests_rebuilt_reports_only(relation) -%}
        {%- set rebuilt = _in_rebuilt('report_id', relation) -%}
        {%- set where = rebuilt ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{% macro _tests_rebuilt_reports_only(relation) -%}
    {%- if not (execute and var('tests_on_rebuilt_reports', false)) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- if tested is none or tested.alias != relation.identifier
        or 'record_reports_to_rebuild' not in (tested.config['pre-hook'] | map(attribute='sql') | join) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set test = model.test_metadata -%}
    {%- if test.name in ('not_null', 'accepted_values', 'relationships') -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(
        test.name == 'unique_combination_of_columns'
        and 'report_id' in test.kwargs.get('combination_of_columns', [])
    ) }}
{%- endmacro %}
