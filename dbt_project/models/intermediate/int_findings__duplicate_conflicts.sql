-- Two files claiming the same report (same organization and report year) that
-- give different table values: one row per cell where a file left out as a
-- conflict (int_reports__deduplicated) differs from the file kept
-- (int_reports__value_differences). The finding belongs to the kept report,
-- the one the marts hold; related_report_id is the file left out.
-- expected = the kept file's value, actual = the left-out file's value
-- (NULL where a file gives none: blank or not printed). Incremental by report:
-- a kept report's findings are rebuilt with it.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

rules as (

    select
        rule,
        rule_description

    from {{ ref('consistency_rules') }}
    where kind = 'duplicate'

),

conflicts as (

    select
        report_id,
        source_path,
        kept_report_id,
        kept_source_path

    from {{ ref('int_reports__deduplicated') }}
    where resolution = 'conflict'
        and {{ rebuilt_only('kept_report_id') }}

),

differences as (

    select * from {{ ref('int_reports__value_differences') }}

),

compared as (

    select
        conflicts.kept_report_id,
        conflicts.kept_source_path,
        conflicts.report_id as left_out_report_id,
        conflicts.source_path as left_out_source_path,
        differences.indicator_code,
        differences.applicant_type,
        differences.other_value as kept_value,
        differences.is_printed_in_other as is_printed_in_kept,
        differences.other_source_locator as kept_source_locator,
        differences.value as left_out_value,
        differences.is_printed as is_printed_in_left_out,
        differences.source_locator as left_out_source_locator

    from conflicts
    inner join differences
        on conflicts.report_id = differences.report_id
        and conflicts.kept_report_id = differences.other_report_id

),

described as (

    select
        *,
        case
            when kept_value is not null and kept_value = round(kept_value)
                then cast(cast(kept_value as hugeint) as varchar)
            when kept_value is not null then cast(kept_value as varchar)
            when is_printed_in_kept then 'blank'
            else 'not printed'
        end as kept_text,
        case
            when left_out_value is not null and left_out_value = round(left_out_value)
                then cast(cast(left_out_value as hugeint) as varchar)
            when left_out_value is not null then cast(left_out_value as varchar)
            when is_printed_in_left_out then 'blank'
            else 'not printed'
        end as left_out_text

    from compared

),

final as (

    select
        described.kept_report_id as report_id,
        rules.rule,
        rules.rule_description,
        described.indicator_code,
        described.applicant_type,
        described.indicator_code
        || case
            when described.applicant_type <> 'total' then '[' || described.applicant_type || ']'
            else ''
        end
        || ': ' || described.kept_text || ' in ' || described.kept_source_path
        || coalesce(' at ' || described.kept_source_locator, '') || ' (kept) vs '
        || described.left_out_text || ' in ' || described.left_out_source_path
        || coalesce(' at ' || described.left_out_source_locator, '') || ' (left out)' as cells,
        described.kept_value as expected,
        described.left_out_value as actual,
        round(described.left_out_value - described.kept_value, 6) as difference,
        described.left_out_report_id as related_report_id,
        described.kept_source_locator as source_locator

    from described
    cross join rules

)

select * from final
