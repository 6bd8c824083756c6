with

source as (

    select * from {{ source('landing', 'cells') }}

),

renamed as (

    select
        report_id,
        section,
        row_label,
        column_label,
        indicator_code,
        coalesce(applicant_type, 'total') as applicant_type,
        cast(value as double) as value,
        nullif(trim(unit), '') as unit,
        coalesce(value_text, '') as source_text,
        coalesce(approximate, false) as is_approximate,
        coalesce(match_method, 'label') as match_method,
        source_locator,
        cast(page as integer) as page,
        cast(line as integer) as line

    from source

)

select * from renamed
