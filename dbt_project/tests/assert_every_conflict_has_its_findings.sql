-- A file left out as a conflict is in ingest_error (stage 'conflict',
-- duplicate_of the file kept) and has one duplicate_conflict finding per
-- differing cell, on the report kept; every duplicate_conflict finding names
-- such a file. Returns the conflicts and findings that do not match.
with

conflicts as (

    select
        deduplicated.report_id,
        deduplicated.source_path,
        deduplicated.kept_report_id,
        deduplicated.differing_cells,
        ingest_error.source_path is not null as is_listed

    from {{ ref('int_reports__deduplicated') }} as deduplicated
    left join {{ ref('ingest_error') }} as ingest_error
        on deduplicated.source_path = ingest_error.source_path
        and ingest_error.stage = 'conflict'
        and deduplicated.kept_source_path = ingest_error.duplicate_of
    where deduplicated.resolution = 'conflict'

),

findings as (

    select
        report_id,
        related_report_id,
        count(*) as findings

    from {{ ref('consistency_finding') }}
    where rule = 'duplicate_conflict'
    group by report_id, related_report_id

)

select
    coalesce(conflicts.report_id, findings.related_report_id) as left_out_report_id,
    conflicts.source_path,
    coalesce(conflicts.kept_report_id, findings.report_id) as kept_report_id,
    conflicts.is_listed,
    conflicts.differing_cells,
    findings.findings

from conflicts
full outer join findings
    on conflicts.report_id = findings.related_report_id
    and conflicts.kept_report_id = findings.report_id
where conflicts.report_id is null
    or findings.related_report_id is null
    or not conflicts.is_listed
    or conflicts.differing_cells <> findings.findings
