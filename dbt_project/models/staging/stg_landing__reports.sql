with

source as (

    select * from {{ source('landing', 'reports') }}

),

renamed as (

    select
        report_id,
        source_path,
        source_sha256,
        source_format,
        template,
        cast(report_year as integer) as report_year,
        nullif(trim(organization), '') as organization,
        nullif(trim(region_name), '') as region_name,
        region_level,
        nullif(trim(region_code), '') as region_code,
        nullif(trim(parent_region_name), '') as parent_region_name,
        nullif(trim(parent_region_code), '') as parent_region_code,
        organization_kind,
        report_scope,
        nullif(trim(title), '') as title,
        cast(page_count as integer) as page_count,
        cast(line_count as integer) as line_count,
        coalesce(cast(ocr_pages as integer), 0) as ocr_pages,
        extractor_version

    from source

),

keyed as (

    select
        *,
        -- The region's key in dim_region: its GB/T 2260 code, or for regions
        -- without one (towns, street offices, uncoded zones) parent code and name.
        case
            when region_code is not null then region_code
            when region_name is not null then coalesce(parent_region_code, '') || ':' || region_name
        end as region_id

    from renamed

)

select * from keyed
