-- The table equations (int_findings__equation_terms) evaluated for every
-- report, and for every pair of a report and the same body's previous report
-- (int_findings__report_pairs), on the table values the warehouse holds
-- (int_indicator_values__kept).
-- An equation is evaluated only when every one of its cells is printed and
-- non-blank (blank is unknown, never zero); one row per equation that does
-- not hold: actual = lhs, expected = rhs. Incremental by report: a report's
-- equations are evaluated again with it (on its previous report's values).
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
with

terms as (

    select * from {{ ref('int_findings__equation_terms') }}

),

reports as (

    select
        report_id,
        template,
        report_year

    from {{ ref('int_reports__kept') }}
    where {{ rebuilt_only('report_id') }}

),

pairs as (

    select
        report_id,
        related_report_id,
        related_report_year

    from {{ ref('int_findings__report_pairs') }}
    where report_id in (select reports.report_id from reports)

),

table_values as (

    select
        report_id,
        indicator_code,
        applicant_type,
        value,
        source_locator

    from {{ ref('int_indicator_values__kept') }}
    where value_source = 'table'
        and report_id in (
            select reports.report_id from reports
            union all
            select pairs.related_report_id from pairs
        )

),

-- Where an equation is evaluated: the report alone, or the report with the
-- same body's previous report for equations that reach back a year.
contexts as (

    select
        report_id,
        template,
        report_year,
        cast(null as varchar) as related_report_id,
        cast(null as integer) as related_report_year,
        false as is_cross_year

    from reports

    union all

    select
        pairs.report_id,
        reports.template,
        reports.report_year,
        pairs.related_report_id,
        pairs.related_report_year,
        true as is_cross_year

    from pairs
    inner join reports
        on pairs.report_id = reports.report_id

),

applied as (

    select
        contexts.report_id,
        contexts.report_year,
        contexts.related_report_id,
        contexts.related_report_year,
        terms.rule,
        terms.checked_code,
        terms.applicant_type,
        terms.rule_description,
        terms.side,
        terms.term_position,
        terms.term_code,
        terms.term_applicant_type,
        terms.sign,
        terms.year_offset,
        terms.subrow_of,
        terms.has_subrows,
        case
            when terms.year_offset = 0 then contexts.report_id
            else contexts.related_report_id
        end as term_report_id

    from contexts
    inner join terms
        on contexts.template = terms.template
        and contexts.is_cross_year = terms.is_cross_year

),

valued as (

    select
        applied.*,
        table_values.value,
        table_values.source_locator,
        table_values.report_id is not null as is_printed

    from applied
    left join table_values
        on applied.term_report_id = table_values.report_id
        and applied.term_code = table_values.indicator_code
        and applied.term_applicant_type = table_values.applicant_type

),

subrows as (

    select distinct
        term_code,
        subrow_of

    from terms
    where subrow_of is not null

),

-- Reports that print sub-rows of a row (parent_code: a_other_misc under
-- a_other), in any column.
printed_subrows as (

    select distinct
        subrows.subrow_of as parent_code,
        table_values.report_id

    from subrows
    inner join table_values
        on subrows.term_code = table_values.indicator_code

),

-- A row with sub-rows counts itself when the report prints none of them,
-- its sub-rows when it prints any: never both.
chosen as (

    select valued.*
    from valued
    left join printed_subrows
        on valued.term_report_id = printed_subrows.report_id
        and printed_subrows.parent_code = coalesce(
            valued.subrow_of, case when valued.has_subrows then valued.term_code end
        )
    where not (valued.has_subrows and printed_subrows.report_id is not null)
        and not (valued.subrow_of is not null and printed_subrows.report_id is null)

),

described as (

    select
        *,
        case when sign < 0 then ' - ' else ' + ' end
        || term_code
        || case
            when term_applicant_type <> applicant_type then '[' || term_applicant_type || ']'
            else ''
        end
        || case when year_offset <> 0 then ' of ' || related_report_year else '' end
        || ' ('
        || case
            when value is null and is_printed then 'blank'
            when value is null then 'not printed'
            when value = round(value) then cast(cast(value as hugeint) as varchar)
            else cast(value as varchar)
        end
        || ')' as term_text

    from chosen

),

evaluated as (

    select
        report_id,
        related_report_id,
        rule,
        rule_description,
        checked_code as indicator_code,
        applicant_type,
        sum(sign * value) filter (where side = 'lhs') as actual,
        sum(sign * value) filter (where side = 'rhs') as expected,
        count(*) filter (where value is null) as unknown_cells,
        regexp_replace(
            string_agg(term_text, '' order by term_position) filter (where side = 'lhs'),
            '^ \+ ',
            ''
        )
        || ' ='
        || regexp_replace(
            string_agg(term_text, '' order by term_position) filter (where side = 'rhs'), '^ \+', ''
        ) as cells,
        max(source_locator) filter (
            where side = 'lhs' and term_code = checked_code
            and term_applicant_type = applicant_type and year_offset = 0
        ) as source_locator

    from described
    group by report_id, related_report_id, rule, rule_description, checked_code, applicant_type

),

final as (

    select
        report_id,
        rule,
        rule_description,
        indicator_code,
        applicant_type,
        cells,
        expected,
        actual,
        round(actual - expected, 6) as difference,
        related_report_id,
        source_locator

    from evaluated
    where unknown_cells = 0
        and round(actual - expected, 6) <> 0

)

select * from final
