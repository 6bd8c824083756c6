with

source as (

    select * from {{ source('landing', 'ingest_errors') }}

),

renamed as (

    select
        source_path,
        source_sha256,
        stage,
        code,
        reason

    from source

)

select * from renamed
