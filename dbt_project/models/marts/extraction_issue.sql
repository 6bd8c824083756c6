-- Problems met while extracting a kept report, as the extractor reported them,
-- plus table values printed more than once for the same grain (the repeats are
-- listed here with their text; fct_indicator_value keeps the first).
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

reports as (

    select
        report_id,
        source_path

    from {{ ref('int_reports__kept') }}
    where {{ rebuilt_only('report_id') }}

),

reported as (

    select
        issues.report_id,
        issues.source_path,
        issues.stage,
        issues.reason,
        issues.source_locator

    from {{ ref('stg_landing__extraction_issues') }} as issues
    inner join reports
        on issues.report_id = reports.report_id

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
    inner join reports
        on ranked.report_id = reports.report_id
    where
        ranked.value_source = 'table'
        and ranked.occurrence > 1

),

final as (

    select * from reported
    union all
    select * from repeated_cells

)

select * from final
