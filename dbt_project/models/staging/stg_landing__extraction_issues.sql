with

source as (

    select * from {{ source('landing', 'extraction_issues') }}

),

renamed as (

    select
        report_id,
        source_path,
        stage,
        reason,
        source_locator

    from source

)

select * from renamed
