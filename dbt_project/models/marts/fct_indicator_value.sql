-- One value per (report, code, applicant column, source): table cells and the
-- narrative figures the extractor tied to a code. Blank cells stay NULL.
with

ranked as (

    select * from {{ ref('int_indicator_values__ranked') }}
    where report_id in (select report_id from {{ ref('int_reports__deduplicated') }} where is_kept)

),

reports as (

    select report_id, template from {{ ref('stg_landing__reports') }}

),

labels as (

    select * from {{ ref('stg_seeds__indicator_labels') }}

),

indicators as (

    select indicator_code, unit from {{ ref('dim_indicator') }}

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
    left join reports
        on ranked.report_id = reports.report_id
    left join labels
        on reports.template = labels.template
        and ranked.indicator_code = labels.indicator_code
    left join indicators
        on ranked.indicator_code = indicators.indicator_code
    where ranked.occurrence = 1

)

select * from final
