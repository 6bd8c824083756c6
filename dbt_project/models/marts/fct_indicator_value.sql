-- One value per (report, code, applicant column, source): table cells and the
-- narrative figures the extractor tied to a code (int_indicator_values__kept).
-- Blank cells stay NULL.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

indicator_values as (

    select * from {{ ref('int_indicator_values__kept') }}
    where {{ rebuilt_only('report_id') }}

),

final as (

    select
        report_id,
        indicator_code,
        applicant_type,
        value,
        unit,
        value_source,
        source_locator,
        source_text,
        row_label,
        column_label,
        is_approximate,
        match_method

    from indicator_values

)

select * from final
