-- The values the warehouse holds: of every grain (report, code, applicant
-- column, source) of a kept report, the occurrence int_indicator_values__ranked
-- ranks first, with its unit: the one printed with the value, else the
-- catalog's unit for the report's template, else the code's newest unit.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

ranked as (

    select * from {{ ref('int_indicator_values__ranked') }}
    where occurrence = 1
        and {{ rebuilt_only('report_id') }}

),

reports as (

    select
        report_id,
        template

    from {{ ref('int_reports__kept') }}

),

labels as (

    select
        template,
        indicator_code,
        unit

    from {{ ref('stg_seeds__indicator_labels') }}

),

indicators as (

    select
        indicator_code,
        unit

    from {{ ref('int_indicators__newest_template') }}

),

final as (

    select
        ranked.report_id,
        ranked.indicator_code,
        ranked.applicant_type,
        ranked.value,
        coalesce(ranked.unit, labels.unit, indicators.unit) as unit,
        ranked.value_source,
        ranked.source_locator,
        ranked.source_text,
        ranked.row_label,
        ranked.column_label,
        ranked.is_approximate,
        ranked.match_method

    from ranked
    inner join reports
        on ranked.report_id = reports.report_id
    left join labels
        on reports.template = labels.template
        and ranked.indicator_code = labels.indicator_code
    left join indicators
        on ranked.indicator_code = indicators.indicator_code

)

select * from final
