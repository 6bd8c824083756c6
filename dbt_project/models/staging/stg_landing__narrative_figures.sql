with

source as (

    select * from {{ source('landing', 'narrative_figures') }}

),

renamed as (

    select
        report_id,
        sentence,
        cast(number as double) as number,
        number_text,
        nullif(trim(unit), '') as unit,
        coalesce(approximate, false) as is_approximate,
        qualifier,
        indicator_code,
        source_locator,
        cast(page as integer) as page,
        cast(line as integer) as line

    from source

)

select * from renamed
