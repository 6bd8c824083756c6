with

divisions as (

    select * from {{ ref('stg_landing__divisions') }}

),

reports as (

    select * from {{ ref('stg_landing__reports') }}

),

coded as (

    select
        region_code as region_id,
        region_code,
        region_name,
        short_name,
        region_level,
        parent_region_code as parent_region_id,
        parent_region_code,
        parent_region_name,
        province_name,
        prefecture_name,
        'GB/T 2260' as region_source

    from divisions

),

-- Towns, townships, street offices (and development zones without a code) are
-- not in the county-level GB/T 2260 list: they come from the reports, placed
-- under the division the report names as their parent.
from_reports as (

    select distinct
        reports.region_id,
        cast(null as varchar) as region_code,
        reports.region_name,
        reports.region_name as short_name,
        reports.region_level,
        reports.parent_region_code as parent_region_id,
        reports.parent_region_code,
        coalesce(parent.region_name, reports.parent_region_name) as parent_region_name,
        parent.province_name,
        case
            when parent.region_level = 'prefecture' then parent.region_name
            else parent.prefecture_name
        end as prefecture_name,
        'reports' as region_source

    from reports
    left join divisions as parent on reports.parent_region_code = parent.region_code
    where reports.region_code is null
        and reports.region_id is not null

)

select * from coded
union all
select * from from_reports
