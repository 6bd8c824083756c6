-- Every number quoted in the prose, tied to a code or not.
with

figures as (

    select * from {{ ref('stg_landing__narrative_figures') }}
    where report_id in (select report_id from {{ ref('int_reports__deduplicated') }} where is_kept)

),

final as (

    select
        report_id,
        indicator_code,
        number as value,
        number_text,
        unit,
        is_approximate,
        qualifier,
        sentence,
        source_locator

    from figures

)

select * from final
