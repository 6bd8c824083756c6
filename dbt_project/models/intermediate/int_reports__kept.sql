-- The kept copy of each report: every loaded report with its identity, less
-- the files left out for naming the same organization and year as another
-- (int_reports__deduplicated). Every model that holds reports or their values
-- reads the reports from here.
with

reports as (

    select * from {{ ref('stg_landing__reports') }}

),

kept as (

    select report_id
    from {{ ref('int_reports__deduplicated') }}
    where is_kept

),

final as (

    select reports.*

    from reports
    inner join kept
        on reports.report_id = kept.report_id

)

select * from final
