-- Rules of kind sum_of: in each template, a total (lhs) equals the parts the
-- sum_of column of seeds/indicators.csv lists for it in that template (rhs),
-- in the rule's applicant column.
with

rules as (

    select * from {{ ref('int_findings__equation_rules') }}
    where kind = 'sum_of'

),

totals as (

    select
        template,
        indicator_code,
        regexp_split_to_array(trim(sum_of), '\s*\+\s*') as parts

    from {{ ref('stg_seeds__indicator_labels') }}
    where sum_of is not null

),

equations as (

    select
        rules.rule,
        rules.template,
        totals.indicator_code as checked_code,
        rules.applicant_type,
        rules.rule_description,
        totals.parts

    from rules
    inner join totals
        on rules.template = totals.template

),

lhs as (

    select
        rule,
        template,
        checked_code,
        applicant_type,
        rule_description,
        'lhs' as side,
        0 as term_position,
        checked_code as term_code

    from equations

),

rhs as (

    select
        rule,
        template,
        checked_code,
        applicant_type,
        rule_description,
        'rhs' as side,
        generate_subscripts(parts, 1) as term_position,
        unnest(parts) as term_code

    from equations

),

unioned as (

    select * from lhs
    union all
    select * from rhs

),

final as (

    select
        *,
        applicant_type as term_applicant_type,
        1 as sign,
        0 as year_offset

    from unioned

)

select * from final
