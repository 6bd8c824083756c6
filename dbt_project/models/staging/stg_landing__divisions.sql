with

source as (

    select * from {{ source('landing', 'divisions') }}

),

renamed as (

    select
        region_code,
        region_name,
        short_name,
        region_level,
        parent_region_code,
        parent_region_name,
        province_name,
        prefecture_name

    from source

)

select * from renamed
