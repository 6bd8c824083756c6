-- What the last collection of each source could not collect, one row per URL.
with

failures as (

    select * from {{ ref('stg_landing__collect_failures') }}

),

final as (

    select
        source_name,
        url,
        referring_page,
        http_status,
        outcome,
        reason

    from failures

)

select * from final
