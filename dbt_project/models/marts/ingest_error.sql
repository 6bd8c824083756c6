-- Files that could not be loaded at all (the run went on without them), and
-- reports left out for naming the same organization and year as the file kept
-- (see int_reports__deduplicated): code duplicate when they give the same
-- table values, duplicate_conflict when some value differs (the cells are in
-- consistency_finding, rule duplicate_conflict). Every file under the raw
-- folder is either in dim_report or here. Every code is a row of the seed
-- refusals (the one table of reasons, which the Python ingest reads too);
-- the stage of a left-out report is its code's.
with

errors as (

    select
        source_path,
        source_sha256,
        stage,
        code,
        reason,
        cast(null as varchar) as duplicate_of

    from {{ ref('stg_landing__ingest_errors') }}

),

left_out as (

    select
        source_path,
        source_sha256,
        case resolution
            when 'conflict' then 'duplicate_conflict'
            else 'duplicate'
        end as code,
        duplicate_reason as reason,
        kept_source_path as duplicate_of

    from {{ ref('int_reports__deduplicated') }}
    where not is_kept

),

duplicates as (

    select
        left_out.source_path,
        left_out.source_sha256,
        refusals.stage,
        left_out.code,
        left_out.reason,
        left_out.duplicate_of

    from left_out
    left join {{ ref('refusals') }} as refusals
        on left_out.code = refusals.code

),

final as (

    select * from errors
    union all
    select * from duplicates

)

select * from final
