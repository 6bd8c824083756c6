-- One row per catalog code. Where templates word a code differently, label,
-- unit, section and sum_of follow the newest template holding the code.
with

labels as (

    select * from {{ ref('stg_seeds__indicator_labels') }}

),

templates as (

    select
        indicator_code,
        string_agg(template, '+' order by template) as templates

    from labels
    group by indicator_code

),

newest as (

    select *
    from labels
    qualify row_number() over (partition by indicator_code order by template desc) = 1

),

final as (

    select
        newest.indicator_code,
        newest.label_zh,
        newest.label_en,
        newest.unit,
        newest.section,
        templates.templates,
        newest.sum_of

    from newest
    inner join templates
        on newest.indicator_code = templates.indicator_code

)

select * from final
