-- int_reports__deduplicated: a file is kept exactly when its resolution is
-- 'kept', and left out as a conflict exactly when some table value differs
-- from the kept file's. Returns the files that break this.
select
    report_id,
    source_path,
    is_kept,
    resolution,
    differing_cells

from {{ ref('int_reports__deduplicated') }}
where is_kept <> (resolution = 'kept')
    or (resolution = 'conflict') <> (differing_cells > 0)
