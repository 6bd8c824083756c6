-- Where each collected file came from (the collector's manifests).
with

source as (

    select * from {{ source('landing', 'collected_files') }}

),

renamed as (

    select
        source_path,
        source_name,
        url as source_url,
        final_url,
        referring_page,
        nullif(trim(page_title), '') as page_title,
        nullif(trim(link_text), '') as link_text,
        fetched_at,
        checked_at,
        http_status,
        etag,
        last_modified,
        content_type,
        size_bytes,
        sha256 as source_sha256,
        format as collected_format

    from source

)

select * from renamed
