-- Where two files claiming the same report disagree: for every ordered pair of
-- files naming the same organization and report year, one row per table cell
-- (indicator_code, applicant_type) whose value differs between them.
--
-- A file's value of a cell is the one fct_indicator_value would hold: the
-- first non-blank table occurrence (int_indicator_values__ranked, occurrence 1);
-- prose figures are not compared. A cell left blank and a cell not printed
-- both give no value, so they do not differ from each other; a number against
-- no value does, and so do two different numbers. Two files with no row here
-- give the same table values: duplicates. int_reports__deduplicated reads this
-- to tell a duplicate from a conflict. Reports without an organization or a
-- year are never paired. Incremental by report: a report's rows are rebuilt
-- with it, against every other file of its organization and year.
{{ incremental_by_report() }}
with

reports as (

    select
        report_id,
        organization,
        report_year

    from {{ ref('stg_landing__reports') }}
    where organization is not null
        and report_year is not null

),

pairs as (

    select
        reports.report_id,
        others.report_id as other_report_id

    from reports
    inner join reports as others
        on reports.organization = others.organization
        and reports.report_year = others.report_year
        and reports.report_id <> others.report_id
    where {{ rebuilt_only('reports.report_id') }}

),

table_values as (

    select
        report_id,
        indicator_code,
        applicant_type,
        value,
        source_locator

    from {{ ref('int_indicator_values__ranked') }}
    where value_source = 'table'
        and occurrence = 1
        and report_id in (
            select pairs.report_id from pairs
            union all
            select pairs.other_report_id from pairs
        )

),

own_values as (

    select
        pairs.report_id,
        pairs.other_report_id,
        table_values.indicator_code,
        table_values.applicant_type,
        table_values.value,
        table_values.source_locator

    from pairs
    inner join table_values
        on pairs.report_id = table_values.report_id

),

other_values as (

    select
        pairs.report_id,
        pairs.other_report_id,
        table_values.indicator_code,
        table_values.applicant_type,
        table_values.value,
        table_values.source_locator

    from pairs
    inner join table_values
        on pairs.other_report_id = table_values.report_id

),

compared as (

    select
        coalesce(own_values.report_id, other_values.report_id) as report_id,
        coalesce(own_values.other_report_id, other_values.other_report_id) as other_report_id,
        coalesce(own_values.indicator_code, other_values.indicator_code) as indicator_code,
        coalesce(own_values.applicant_type, other_values.applicant_type) as applicant_type,
        own_values.value,
        other_values.value as other_value,
        own_values.indicator_code is not null as is_printed,
        other_values.indicator_code is not null as is_printed_in_other,
        own_values.source_locator,
        other_values.source_locator as other_source_locator

    from own_values
    full outer join other_values
        on own_values.report_id = other_values.report_id
        and own_values.other_report_id = other_values.other_report_id
        and own_values.indicator_code = other_values.indicator_code
        and own_values.applicant_type = other_values.applicant_type

),

final as (

    select *
    from compared
    where value is distinct from other_value

)

select * from final
