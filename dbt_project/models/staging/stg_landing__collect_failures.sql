-- Every URL the last collection of a source could not collect, or left alone.
with

source as (

    select * from {{ source('landing', 'collect_failures') }}

),

renamed as (

    select
        source as source_name,
        url,
        referring_page,
        http_status,
        outcome,
        reason

    from source

)

select * from renamed
