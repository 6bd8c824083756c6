-- Files that could not be loaded at all (the run went on without them), and
-- reports left out for naming the same organization and year as the file kept
-- (see int_reports__deduplicated): stage 'deduplicate' when they give the same
-- table values, 'conflict' when some value differs (the cells are in
-- consistency_finding, rule duplicate_conflict). Every file under the raw
-- folder is either in dim_report or here.
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
        case resolution
            when 'conflict' then 'conflict'
            else 'deduplicate'
        end as stage,
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
