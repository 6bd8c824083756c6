-- Every loaded report, and whether the marts keep it.
--
-- Two files are the same report when they name the same organization and
-- report year: a report posted both as PDF and as a web page, a copy saved
-- under another name. Of each such group the marts keep one, chosen by
--   1. the most non-blank table values (the most complete reading),
--   2. then the format: pdf, docx, html, text (the publisher's own layout first),
--   3. then source_path, so the choice is the same on every run.
-- The others are left out, each as one of
--   duplicate  it gives the same table values as the file kept (every cell of
--              int_reports__value_differences agrees): marts.ingest_error
--              stage 'deduplicate';
--   conflict   some table value differs from the file kept's: marts.ingest_error
--              stage 'conflict', and one consistency finding per differing cell
--              (rule duplicate_conflict).
-- Either way the reason names the file kept. A report without an organization
-- or a year is never taken for a duplicate.
-- Incremental by report: a report's row is rebuilt from every file of its
-- organization and year.
{{ incremental_by_report() }}
with

all_reports as (

    select
        report_id,
        source_path,
        source_sha256,
        source_format,
        organization,
        report_year,
        organization is not null and report_year is not null as is_identified

    from {{ ref('stg_landing__reports') }}

),

rebuilt as (

    select
        report_id,
        organization,
        report_year

    from all_reports
    where {{ rebuilt_only('report_id') }}

),

-- the reports rebuilt and the other files of their organization and year
reports as (

    select all_reports.*
    from all_reports
    where all_reports.report_id in (select rebuilt.report_id from rebuilt)

    union

    select all_reports.*
    from all_reports
    inner join rebuilt
        on all_reports.organization = rebuilt.organization
        and all_reports.report_year = rebuilt.report_year

),

table_values as (

    select
        report_id,
        -- catalogued values only: a page of numbers matching no row is no better copy
        count(value) filter (where indicator_code is not null) as table_values

    from {{ ref('stg_landing__cells') }}
    where report_id in (select reports.report_id from reports)
    group by report_id

),

scored as (

    select
        reports.*,
        coalesce(table_values.table_values, 0) as table_values,
        case reports.source_format
            when 'pdf' then 1
            when 'docx' then 2
            when 'html' then 3
            when 'text' then 4
            else 5
        end as format_rank

    from reports
    left join table_values
        on reports.report_id = table_values.report_id

),

differences as (

    select
        report_id,
        other_report_id,
        count(*) as differing_cells

    from {{ ref('int_reports__value_differences') }}
    where report_id in (select reports.report_id from reports)
    group by report_id, other_report_id

),

ranked as (

    select
        *,
        row_number() over same_report as duplicate_rank,
        first_value(report_id) over same_report as kept_report_id,
        first_value(source_path) over same_report as kept_source_path,
        first_value(source_sha256) over same_report as kept_source_sha256,
        first_value(source_format) over same_report as kept_source_format,
        first_value(table_values) over same_report as kept_table_values,
        first_value(format_rank) over same_report as kept_format_rank

    from scored
    window same_report as (
        partition by
            organization,
            report_year,
            -- unidentified reports are each their own group
            case when is_identified then '' else report_id end
        order by table_values desc, format_rank asc, source_path asc
        rows between unbounded preceding and unbounded following
    )

),

resolved as (

    select
        ranked.*,
        coalesce(differences.differing_cells, 0) as differing_cells,
        case
            when ranked.duplicate_rank = 1 then 'kept'
            when differences.differing_cells > 0 then 'conflict'
            else 'duplicate'
        end as resolution,
        -- why the other file was kept
        case
            when ranked.source_sha256 = ranked.kept_source_sha256 then 'identical content'
            when ranked.table_values < ranked.kept_table_values
                then 'it has more non-blank table values ('
                    || ranked.kept_table_values || ' against ' || ranked.table_values || ')'
            when ranked.format_rank > ranked.kept_format_rank
                then 'same number of table values (' || ranked.table_values || '); '
                    || ranked.kept_source_format || ' is preferred to ' || ranked.source_format
            else
                'same number of table values and format; the first path is kept'
        end as kept_because

    from ranked
    left join differences
        on ranked.report_id = differences.report_id
        and ranked.kept_report_id = differences.other_report_id

),

final as (

    select
        report_id,
        source_path,
        source_sha256,
        source_format,
        organization,
        report_year,
        table_values,
        resolution = 'kept' as is_kept,
        resolution,
        differing_cells,
        kept_report_id,
        kept_source_path,
        case resolution
            when 'duplicate'
                then 'same report as ' || kept_source_path
                    || ' (' || organization || ', ' || report_year || '), which is kept: '
                    || kept_because
            when 'conflict'
                then 'same organization and year as ' || kept_source_path
                    || ' (' || organization || ', ' || report_year || '), which is kept ('
                    || kept_because || '), but ' || differing_cells || ' table '
                    || case when differing_cells = 1 then 'value differs' else 'values differ' end
                    || ' (marts.consistency_finding, rule duplicate_conflict)'
        end as duplicate_reason

    from resolved
    where report_id in (select rebuilt.report_id from rebuilt)

)

select * from final
