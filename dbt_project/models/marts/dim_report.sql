with

reports as (

    select * from {{ ref('stg_landing__reports') }}
    -- one file per report: duplicates are listed in ingest_error
    where report_id in (select report_id from {{ ref('int_reports__deduplicated') }} where is_kept)

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
