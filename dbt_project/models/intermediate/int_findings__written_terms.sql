-- Rules of kind written: the equation as seeds/consistency_rules.csv writes
-- it, `lhs = rhs`, each side terms joined by ' + ' or ' - '; a term
-- `prev.code` is the cell of the same body's report for the previous year
-- (year_offset -1), any other term the report's own cell. Every term is in the
-- rule's applicant column.
with

rules as (

    select * from {{ ref('int_findings__equation_rules') }}
    where kind = 'written'

),

sides as (

    select
        rules.*,
        equation_sides.side,
        string_split(
            replace(trim(split_part(rules.equation, '=', equation_sides.part)), ' - ', ' + -'),
            ' + '
        ) as side_terms

    from rules
    cross join (values ('lhs', 1), ('rhs', 2)) as equation_sides (side, part)

),

terms as (

    select
        rule,
        template,
        checked_code,
        applicant_type,
        rule_description,
        side,
        generate_subscripts(side_terms, 1) as term_position,
        trim(unnest(side_terms)) as term

    from sides

),

signed as (

    select
        *,
        case when starts_with(term, '-') then -1 else 1 end as sign,
        ltrim(term, '- ') as unsigned_term

    from terms

),

final as (

    select
        rule,
        template,
        checked_code,
        applicant_type,
        rule_description,
        side,
        term_position,
        replace(unsigned_term, 'prev.', '') as term_code,
        applicant_type as term_applicant_type,
        sign,
        case when starts_with(unsigned_term, 'prev.') then -1 else 0 end as year_offset

    from signed

)

select * from final
