-- Each report with the same body's report for the previous year, for the
-- year-to-year rules. The same body is the same organization; when either
-- report names no organization, the same region and kind of organization.
-- A body with two reports for one year pairs with both. Incremental by report:
-- a report's pairs are rebuilt with it.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

reports as (

    select
        report_id,
        report_year,
        organization,
        region_id,
        organization_kind

    from {{ ref('int_reports__kept') }}
    where report_year is not null

),

pairs as (

    select
        later.report_id,
        earlier.report_id as related_report_id,
        earlier.report_year as related_report_year,
        case
            when later.organization is not null and earlier.organization is not null
                then 'organization'
            else 'region_and_kind'
        end as matched_on

    from reports as later
    inner join reports as earlier
        on earlier.report_year = later.report_year - 1
        and (
            later.organization = earlier.organization
            or (
                (later.organization is null or earlier.organization is null)
                and later.region_id = earlier.region_id
                and later.organization_kind = earlier.organization_kind
            )
        )
    where {{ rebuilt_only('later.report_id') }}

)

select * from pairs
