-- Problems met while extracting, as the extractor reported them, plus table
-- values printed more than once for the same grain (the repeats are listed
-- here with their text; fct_indicator_value keeps the first).
with

reported as (

    select
        report_id,
        source_path,
        stage,
        reason,
        source_locator

    from {{ ref('stg_landing__extraction_issues') }}
    where report_id in (select report_id from {{ ref('int_reports__deduplicated') }} where is_kept)

),

repeated_cells as (

    select
        ranked.report_id,
        reports.source_path,
        'table' as stage,
        'repeated value for ' || ranked.indicator_code
        || ' [' || ranked.applicant_type || ']: '
        || coalesce(nullif(ranked.source_text, ''), '(blank)')
        || ' not kept; kept the one at ' || ranked.kept_source_locator as reason,
        ranked.source_locator

    from {{ ref('int_indicator_values__ranked') }} as ranked
    left join {{ ref('stg_landing__reports') }} as reports
        on ranked.report_id = reports.report_id
    where ranked.value_source = 'table' and ranked.occurrence > 1
        and ranked.report_id in (select report_id from {{ ref('int_reports__deduplicated') }} where is_kept)

),

final as (

    select * from reported
    union all
    select * from repeated_cells

)

select * from final
