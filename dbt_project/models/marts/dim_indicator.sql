-- One row per code (int_indicators__newest_template): where templates word a
-- code differently, label, unit, section and sum_of follow the newest template
-- holding the code; the per-template wording stays in
-- staging.stg_seeds__indicator_labels.
with

indicators as (

    select * from {{ ref('int_indicators__newest_template') }}

),

final as (

    select
        indicator_code,
        label_zh,
        label_en,
        unit,
        section,
        templates,
        sum_of

    from indicators

)

select * from final
