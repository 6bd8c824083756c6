-- Table rows of a kept report that matched no catalog code, kept with their
-- label and value.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

cells as (

    select * from {{ ref('stg_landing__cells') }}
    where indicator_code is null and {{ rebuilt_only('report_id') }}

),

reports as (

    select report_id from {{ ref('int_reports__kept') }}

),

final as (

    select
        cells.report_id
        || ':'
        || row_number() over (
            partition by cells.report_id
            order by
                cells.page nulls last,
                cells.line nulls last,
                cells.source_locator,
                cells.column_label
        ) as uncatalogued_value_id,
        cells.report_id,
        cells.section,
        cells.row_label,
        cells.column_label,
        cells.applicant_type,
        cells.value,
        cells.unit,
        cells.source_text,
        cells.is_approximate,
        cells.source_locator

    from cells
    inner join reports
        on cells.report_id = reports.report_id

)

select * from final
