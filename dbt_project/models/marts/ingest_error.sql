-- Files that could not be loaded at all; the run went on without them.
with

errors as (

    select * from {{ ref('stg_landing__ingest_errors') }}

),

final as (

    select
        source_path,
        source_sha256,
        stage,
        reason

    from errors

)

select * from final
