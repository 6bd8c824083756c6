-- One row per report: the kept copy of each (int_reports__kept), with the URL
-- it was collected from when the collector saved it; the files left out as
-- duplicates are listed in ingest_error.
with

reports as (

    select * from {{ ref('int_reports__kept') }}

),

collected as (

    select * from {{ ref('stg_landing__collected_files') }}

),

final as (

    select
        reports.report_id,
        reports.source_path,
        reports.source_sha256,
        reports.source_format,
        reports.template,
        reports.report_year,
        reports.organization,
        reports.region_name,
        reports.region_level,
        reports.region_code,
        reports.region_id,
        reports.parent_region_name,
        reports.parent_region_code,
        reports.organization_kind,
        reports.report_scope,
        reports.title,
        reports.page_count,
        reports.line_count,
        reports.ocr_pages,
        collected.source_url,
        collected.referring_page as source_referring_page,
        collected.link_text as source_link_text,
        collected.page_title as source_page_title,
        collected.fetched_at as source_fetched_at

    from reports
    left join collected on reports.source_path = collected.source_path

)

select * from final
