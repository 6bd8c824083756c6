-- Every number quoted in the prose of a kept report, tied to a code or not.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

figures as (

    select * from {{ ref('stg_landing__narrative_figures') }}
    where {{ rebuilt_only('report_id') }}

),

reports as (

    select report_id from {{ ref('int_reports__kept') }}

),

final as (

    select
        figures.report_id,
        figures.indicator_code,
        figures.number as value,
        figures.number_text,
        figures.unit,
        figures.is_approximate,
        figures.qualifier,
        figures.sentence,
        figures.source_locator

    from figures
    inner join reports
        on figures.report_id = reports.report_id

)

select * from final
