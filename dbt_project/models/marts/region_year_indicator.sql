-- One series per region: the concepts of seeds/concepts.csv computed from each
-- region's own report of each year, whatever template it used. Incremental by
-- report: a region-year's rows are its report's, and every report of the region
-- is rebuilt with one that changed (its region code or name is theirs), so the
-- report that speaks for it is chosen again among all of them.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

concepts as (

    select
        *,
        len(string_split(formula, '+')) as codes_in_formula,
        trim(unnest(string_split(formula, '+'))) as indicator_code

    from {{ ref('concepts') }}

),

-- The region's own body speaks for the region: its people's government (or
-- street office); departments and zone committees are not the region's totals.
-- Should a region have two such reports for a year, the aggregate one wins.
region_reports as (

    select *
    from {{ ref('int_reports__kept') }}
    where organization_kind in ('government', 'street_office')
        and region_id is not null
        and report_year is not null
        and template is not null
    qualify
        row_number() over (
            partition by region_id, report_year
            order by report_scope = 'aggregate' desc, source_path asc
        ) = 1

),

rebuilt_region_reports as (

    select * from region_reports
    where {{ rebuilt_only('report_id') }}

),

-- The table's value, else the prose figure that fills its blank cell
-- (the warehouse holds one only where the table has no value).
report_values as (

    select
        report_id,
        indicator_code,
        value,
        value_source

    from {{ ref('int_indicator_values__kept') }}
    where applicant_type = 'total'
        and {{ rebuilt_only('report_id') }}
    qualify
        row_number() over (
            partition by report_id, indicator_code
            order by value is not null desc, value_source = 'table' desc
        ) = 1

),

computed as (

    select
        region_reports.region_id,
        region_reports.report_year,
        concepts.concept,
        region_reports.template,
        region_reports.report_id,
        concepts.formula,
        concepts.comparability,
        concepts.note,
        concepts.codes_in_formula,
        count(report_values.value) as codes_with_value,
        sum(report_values.value) as value_sum,
        bool_or(report_values.value_source = 'narrative') as uses_narrative

    from rebuilt_region_reports as region_reports
    inner join concepts
        on region_reports.template = concepts.template
    left join report_values
        on region_reports.report_id = report_values.report_id
        and concepts.indicator_code = report_values.indicator_code
    group by all

),

final as (

    select
        computed.region_id,
        regions.region_name,
        regions.region_level,
        regions.region_code,
        regions.parent_region_name,
        regions.province_name,
        computed.report_year,
        computed.concept,
        -- Blank is unknown: a sum with a blank part is not a value.
        case
            when computed.codes_with_value = computed.codes_in_formula then computed.value_sum
        end as value,
        computed.codes_with_value = computed.codes_in_formula as is_complete,
        coalesce(computed.uses_narrative, false) as uses_narrative,
        computed.template,
        computed.formula,
        computed.comparability,
        computed.note,
        computed.report_id

    from computed
    left join {{ ref('dim_region') }} as regions
        on computed.region_id = regions.region_id

)

select * from final
