-- Files that could not be loaded at all (the run went on without them), and
-- reports left out as duplicates of another file (stage 'deduplicate', see
-- int_reports__deduplicated): every file under the raw folder is either in
-- dim_report or here.
with

errors as (

    select
        source_path,
        source_sha256,
        stage,
        reason,
        cast(null as varchar) as duplicate_of

    from {{ ref('stg_landing__ingest_errors') }}

),

duplicates as (

    select
        source_path,
        source_sha256,
        'deduplicate' as stage,
        duplicate_reason as reason,
        kept_source_path as duplicate_of

    from {{ ref('int_reports__deduplicated') }}
    where not is_kept

),

final as (

    select * from errors
    union all
    select * from duplicates

)

select * from final
