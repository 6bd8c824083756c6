-- depends_on: {{ ref('concepts') }}
-- region_year_indicator pivoted: one row per region and year, one column per
-- concept (the concepts come from seeds/concepts.csv when the model compiles).
-- A database without the seed (the in-memory one sqlfluff compiles against)
-- gives no concept columns; a build loads the seed before this model.
{%- set concepts = [] -%}
{%- if execute and load_relation(ref('concepts')) is not none -%}
    {%- set concepts_query -%}
        select distinct concept from {{ ref('concepts') }} order by concept
    {%- endset -%}
    {%- set concepts = run_query(concepts_query).columns[0].values() -%}
{%- endif %}

with

indicators as (

    select * from {{ ref('region_year_indicator') }}

),

final as (

    select
        region_id,
        any_value(region_name) as region_name,
        any_value(region_level) as region_level,
        any_value(region_code) as region_code,
        any_value(parent_region_name) as parent_region_name,
        any_value(province_name) as province_name,
        report_year,
        any_value(template) as template,
        any_value(report_id) as report_id{% for concept in concepts %},
        max(value) filter (where concept = '{{ concept }}') as {{ concept }}{% endfor %}

    from indicators
    group by region_id, report_year

)

select * from final
