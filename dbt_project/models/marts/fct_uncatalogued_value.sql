-- Table rows that matched no catalog code, kept with their label and value.
with

cells as (

    select * from {{ ref('stg_landing__cells') }}
    where indicator_code is null
        and report_id in (select report_id from {{ ref('int_reports__deduplicated') }} where is_kept)

),

final as (

    select
        report_id
        || ':'
        || row_number() over (
            partition by report_id
            order by page nulls last, line nulls last, source_locator, column_label
        ) as uncatalogued_value_id,
        report_id,
        section,
        row_label,
        column_label,
        applicant_type,
        value,
        unit,
        source_text,
        is_approximate,
        source_locator

    from cells

)

select * from final
