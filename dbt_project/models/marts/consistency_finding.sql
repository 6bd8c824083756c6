-- Where a report contradicts itself (or its previous year's report, or another
-- file of the same report): one row per consistency rule of
-- seeds/consistency_rules.csv that does not hold, as the finding models of the
-- rules compute them from intermediate models. A finding is a fact about the
-- source; it never drops or alters a value, and never fails the build.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

table_equations as (

    select
        *,
        cast(null as varchar) as figure_locator

    from {{ ref('int_findings__table_equations') }}
    where {{ rebuilt_only('report_id') }}

),

narrative as (

    select * from {{ ref('int_findings__narrative') }}
    where {{ rebuilt_only('report_id') }}

),

duplicate_conflicts as (

    select
        *,
        cast(null as varchar) as figure_locator

    from {{ ref('int_findings__duplicate_conflicts') }}
    where {{ rebuilt_only('report_id') }}

),

unioned as (

    select * from table_equations
    union all by name
    select * from narrative
    union all by name
    select * from duplicate_conflicts

),

final as (

    select
        left(md5(concat_ws(
            '|',
            rule, report_id, coalesce(related_report_id, ''), indicator_code, applicant_type,
            coalesce(figure_locator, ''),
            case when figure_locator is not null then cast(expected as varchar) else '' end
        )), 16) as finding_id,
        report_id,
        rule,
        rule_description,
        indicator_code,
        applicant_type,
        cells,
        cast(expected as double) as expected,
        cast(actual as double) as actual,
        cast(difference as double) as difference,
        related_report_id,
        source_locator

    from unioned
    -- the same figure quoted twice in one sentence is one finding
    qualify row_number() over (partition by finding_id order by cells) = 1

)

select * from final
