-- Figures quoted in the prose that contradict the report's own table: every
-- narrative figure tied to a code, against the table value of that code
-- (applicant total), when that cell is printed and not blank. How a figure
-- compares depends on its qualifier (seeds/consistency_rules.csv): exact
-- figures must equal the table, lower bounds (余, 多, ...) must not exceed it,
-- approximate ones (约, 近, 左右) must be within the tolerance. A figure whose
-- qualifier no rule lists is not compared.
-- expected = the prose figure, actual = the table value. Incremental by report.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

rules as (

    select
        rule,
        comparison,
        coalesce(string_split(qualifiers, '|'), []) as qualifier_list,
        tolerance,
        rule_description

    from {{ ref('consistency_rules') }}
    where kind = 'narrative'

),

reports as (

    select report_id from {{ ref('int_reports__kept') }}
    where {{ rebuilt_only('report_id') }}

),

figures as (

    select figures.*
    from {{ ref('stg_landing__narrative_figures') }} as figures
    inner join reports
        on figures.report_id = reports.report_id
    where figures.indicator_code is not null
        and figures.number is not null

),

table_values as (

    select
        report_id,
        indicator_code,
        value,
        source_locator

    from {{ ref('int_indicator_values__kept') }}
    where value_source = 'table'
        and applicant_type = 'total'
        and value is not null
        and report_id in (select reports.report_id from reports)

),

compared as (

    select
        figures.report_id,
        rules.rule,
        rules.rule_description,
        rules.comparison,
        rules.tolerance,
        figures.indicator_code,
        figures.number as expected,
        table_values.value as actual,
        figures.number_text,
        figures.source_locator as figure_locator,
        table_values.source_locator

    from figures
    inner join rules
        on (
            figures.qualifier is null
            and not figures.is_approximate
            and len(rules.qualifier_list) = 0
        )
        or list_contains(rules.qualifier_list, figures.qualifier)
    inner join table_values
        on figures.report_id = table_values.report_id
        and figures.indicator_code = table_values.indicator_code

),

contradicted as (

    select *
    from compared
    where
        case comparison
            when 'equal' then actual <> expected
            when 'at_least' then actual < expected
            when 'within' then abs(actual - expected) > tolerance * abs(expected)
        end

),

final as (

    select
        report_id,
        rule,
        rule_description,
        indicator_code,
        'total' as applicant_type,
        indicator_code
        || ' ('
        || case
            when actual = round(actual) then cast(cast(actual as hugeint) as varchar)
            else cast(actual as varchar)
        end
        || ', table at ' || coalesce(source_locator, '?')
        || ') vs the prose '
        || case comparison
            when 'equal' then ''
            when 'at_least' then 'lower bound '
            else 'approximate figure '
        end
        || '"' || number_text || '" (' || coalesce(figure_locator, '?') || ')' as cells,
        expected,
        actual,
        round(actual - expected, 6) as difference,
        cast(null as varchar) as related_report_id,
        source_locator,
        figure_locator

    from contradicted

)

select * from final
