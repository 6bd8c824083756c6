{#-
    Generic test: no two rows share the same values in `combination_of_columns`
    (NULLs compare equal, so a NULL in a key column still counts).
    Written here because the project downloads no dbt packages.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by all
having count(*) > 1

{% endtest %}
