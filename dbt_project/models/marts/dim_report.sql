-- One row per report: the kept copy of each (int_reports__kept); the files
-- left out as duplicates are listed in ingest_error.
with

reports as (

    select * from {{ ref('int_reports__kept') }}

),

final as (

    select
        report_id,
        source_path,
        source_sha256,
        source_format,
        template,
        report_year,
        organization,
        region_name,
        region_level,
        region_code,
        region_id,
        parent_region_name,
        parent_region_code,
        organization_kind,
        report_scope,
        title,
        page_count,
        line_count

    from reports

)

select * from final
