{#-
The descriptions of an incremental model are written as comments when its table
is built whole; a run that only replaces the rows of some reports keeps the
table and its comments, so it does not write them again (a change of a
description changes the dbt project, and `disclosure build` then rebuilds the
models whole).
-#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if not (model.config.materialized == 'incremental' and is_incremental()) -%}
        {{ default__persist_docs(relation, model, for_relation, for_columns) }}
    {%- endif -%}
{%- endmacro %}
