-- Rules of kind row_total: in every row of the rule's section (a catalog row of
-- any of the rule's templates), the rule's applicant column (lhs: the 总计
-- column) equals the sum of the other columns of applicant_types.csv (rhs).
with

rules as (

    select * from {{ ref('int_findings__equation_rules') }}
    where kind = 'row_total'

),

catalog as (

    select * from {{ ref('stg_seeds__indicator_labels') }}

),

applicants as (

    select
        applicant_type,
        sort_order

    from {{ ref('applicant_types') }}

),

equations as (

    select distinct
        rules.rule,
        rules.template,
        catalog.indicator_code as checked_code,
        rules.applicant_type,
        rules.rule_description

    from rules
    inner join catalog
        on rules.section = catalog.section
        and list_contains(rules.template_list, catalog.template)

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
        checked_code as term_code,
        applicant_type as term_applicant_type

    from equations

),

rhs as (

    select
        equations.rule,
        equations.template,
        equations.checked_code,
        equations.applicant_type,
        equations.rule_description,
        'rhs' as side,
        applicants.sort_order as term_position,
        equations.checked_code as term_code,
        applicants.applicant_type as term_applicant_type

    from equations
    inner join applicants
        on equations.applicant_type <> applicants.applicant_type

),

unioned as (

    select * from lhs
    union all
    select * from rhs

),

final as (

    select
        *,
        1 as sign,
        0 as year_offset

    from unioned

)

select * from final
