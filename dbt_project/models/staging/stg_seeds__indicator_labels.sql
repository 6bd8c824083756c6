-- One row per (template, code): the seed's '+'-joined template column exploded.
with

source as (

    select
        *,
        rowid as catalog_position

    from {{ ref('indicators') }}

),

exploded as (

    select
        trim(unnest(string_split(template, '+'))) as template,
        code as indicator_code,
        section,
        label_zh,
        label_en,
        unit,
        nullif(trim(sum_of), '') as sum_of,
        nullif(trim(parent_code), '') as parent_code,
        catalog_position

    from source

)

select * from exploded
