-- Every table equation the consistency rules promise, one row per term:
-- actual (lhs) = expected (rhs), each side the signed sum of its terms.
-- An equation is (rule, template, checked_code, applicant_type); its terms
-- name a cell (term_code, term_applicant_type) of the report itself
-- (year_offset 0) or of the same body's report for the previous year (-1).
-- Built from the catalog (sum_of, the section-三 rows, the applicant columns)
-- and from seeds/consistency_rules.csv (everything the catalog does not say).
with

rules as (

    select * from {{ ref('consistency_rules') }}
    where rule not in ('narrative_vs_table', 'duplicate_conflict')

),

rule_templates as (

    select
        rules.*,
        trim(unnest(string_split(templates, '+'))) as template

    from rules

),

labels as (

    select * from {{ ref('stg_seeds__indicator_labels') }}

),

-- The catalog per template, in file order: the order a template prints its rows.
catalog as (

    select
        trim(unnest(string_split(template, '+'))) as template,
        section,
        code as indicator_code,
        rowid as catalog_position

    from {{ ref('indicators') }}

),

applicants as (

    select applicant_type, sort_order from {{ ref('applicant_types') }}

),

-- The applicant columns each rule's equations are written for.
rule_applicants as (

    select
        rule_templates.*,
        applicants.applicant_type

    from rule_templates
    inner join applicants
        on rule_templates.applicant_types = 'matrix'
        or applicants.applicant_type = rule_templates.applicant_types

),

-- sum_of: total (lhs) = its catalog parts (rhs), per template.
sum_of_equations as (

    select
        rule_applicants.rule,
        rule_applicants.template,
        labels.indicator_code as checked_code,
        rule_applicants.applicant_type,
        rule_applicants.rule_description,
        string_split(labels.sum_of, '+') as parts

    from rule_applicants
    inner join labels
        on rule_applicants.template = labels.template
    where rule_applicants.rule = 'sum_of'
        and labels.sum_of is not null

),

sum_of_terms as (

    select
        rule, template, checked_code, applicant_type, rule_description,
        'lhs' as side, 0 as term_position, checked_code as term_code,
        applicant_type as term_applicant_type, 1 as sign, 0 as year_offset

    from sum_of_equations

    union all

    select
        rule, template, checked_code, applicant_type, rule_description,
        'rhs' as side, term_position, trim(parts[term_position]) as term_code,
        applicant_type as term_applicant_type, 1 as sign, 0 as year_offset

    from (
        select *, unnest(generate_series(1, len(parts))) as term_position
        from sum_of_equations
    )

),

-- matrix_outcomes: the outcome rows are the catalog's rows of the section
-- named in the equation, for any of the rule's templates, except the listed codes.
outcome_rules as (

    select
        rule_applicants.*,
        regexp_extract(equation, 'section:(\w+)', 1) as section,
        list_transform(
            string_split(split_part(equation, ' except ', 2), ','), lambda code: trim(code)
        ) as not_outcomes,
        string_split(templates, '+') as rule_template_list

    from rule_applicants
    where rule = 'matrix_outcomes'

),

outcome_rows as (

    select
        outcome_rules.rule,
        outcome_rules.templates,
        catalog.indicator_code,
        min(catalog.catalog_position) as catalog_position

    from outcome_rules
    inner join catalog
        on catalog.section = outcome_rules.section
        and list_contains(outcome_rules.rule_template_list, catalog.template)
    where not list_contains(outcome_rules.not_outcomes, catalog.indicator_code)
    group by all

),

-- A row whose code extends another outcome row's code is its sub-row
-- (a_other_misc under a_other): the two are alternatives, resolved per report.
outcome_structure as (

    select
        outcome_rows.rule,
        outcome_rows.templates,
        outcome_rows.indicator_code,
        outcome_rows.catalog_position,
        (
            select min(parent.indicator_code)
            from outcome_rows as parent
            where parent.rule = outcome_rows.rule
                and parent.templates = outcome_rows.templates
                and starts_with(outcome_rows.indicator_code, parent.indicator_code || '_')
        ) as subrow_of,
        exists (
            select 1
            from outcome_rows as child
            where child.rule = outcome_rows.rule
                and child.templates = outcome_rows.templates
                and starts_with(child.indicator_code, outcome_rows.indicator_code || '_')
        ) as has_subrows

    from outcome_rows

),

outcome_terms as (

    select
        rule, template, checked_code, applicant_type, rule_description,
        'lhs' as side, 0 as term_position, checked_code as term_code,
        applicant_type as term_applicant_type, 1 as sign, 0 as year_offset,
        cast(null as varchar) as subrow_of, false as has_subrows

    from outcome_rules

    union all

    select
        outcome_rules.rule, outcome_rules.template, outcome_rules.checked_code,
        outcome_rules.applicant_type, outcome_rules.rule_description,
        'rhs' as side, cast(outcome_structure.catalog_position as integer) as term_position,
        outcome_structure.indicator_code as term_code,
        outcome_rules.applicant_type as term_applicant_type, 1 as sign, 0 as year_offset,
        outcome_structure.subrow_of, outcome_structure.has_subrows

    from outcome_rules
    inner join outcome_structure
        on outcome_rules.rule = outcome_structure.rule
        and outcome_rules.templates = outcome_structure.templates

),

-- matrix_row_total: in every row of the section (a row of any of the rule's
-- templates), the total column (lhs) equals the sum of the other applicant
-- columns (rhs).
row_total_rows as (

    select distinct
        rule_applicants.rule,
        rule_applicants.template,
        catalog.indicator_code as checked_code,
        rule_applicants.applicant_type,
        rule_applicants.rule_description

    from rule_applicants
    inner join catalog
        on list_contains(string_split(rule_applicants.templates, '+'), catalog.template)
        and catalog.section = regexp_extract(rule_applicants.equation, 'section:(\w+)', 1)
    where rule_applicants.rule = 'matrix_row_total'

),

row_total_terms as (

    select
        rule, template, checked_code, applicant_type, rule_description,
        'lhs' as side, 0 as term_position, checked_code as term_code,
        applicant_type as term_applicant_type, 1 as sign, 0 as year_offset

    from row_total_rows

    union all

    select
        row_total_rows.rule, row_total_rows.template, row_total_rows.checked_code,
        row_total_rows.applicant_type, row_total_rows.rule_description,
        'rhs' as side, applicants.sort_order as term_position, row_total_rows.checked_code as term_code,
        applicants.applicant_type as term_applicant_type, 1 as sign, 0 as year_offset

    from row_total_rows
    inner join applicants
        on applicants.applicant_type <> row_total_rows.applicant_type

),

-- Every other rule: the equation as written, `lhs = rhs`, terms joined by
-- ' + ' or ' - ', `prev.code` for the previous year's report.
written_sides as (

    select
        rule_applicants.*,
        side.name as side,
        string_split(
            replace(trim(split_part(equation, '=', side.part)), ' - ', ' + -'), ' + '
        ) as side_terms

    from rule_applicants
    cross join (values ('lhs', 1), ('rhs', 2)) as side(name, part)
    where rule not in ('sum_of', 'matrix_outcomes', 'matrix_row_total')

),

written_terms as (

    select
        rule, template, checked_code, applicant_type, rule_description, side,
        term_position,
        case when starts_with(term, '-') then -1 else 1 end as sign,
        ltrim(term, '- ') as term

    from (
        select
            *,
            trim(side_terms[term_position]) as term

        from (
            select *, unnest(generate_series(1, len(side_terms))) as term_position
            from written_sides
        )
    )

),

written_equation_terms as (

    select
        rule, template, checked_code, applicant_type, rule_description,
        side, term_position,
        replace(term, 'prev.', '') as term_code,
        applicant_type as term_applicant_type,
        sign,
        case when starts_with(term, 'prev.') then -1 else 0 end as year_offset

    from written_terms

),

unioned as (

    select * from sum_of_terms
    union all by name
    select * from outcome_terms
    union all by name
    select * from row_total_terms
    union all by name
    select * from written_equation_terms

),

final as (

    select
        rule,
        template,
        checked_code,
        applicant_type,
        rule_description,
        bool_or(year_offset <> 0) over (
            partition by rule, template, checked_code, applicant_type
        ) as is_cross_year,
        side,
        term_position,
        term_code,
        term_applicant_type,
        cast(sign as integer) as sign,
        cast(year_offset as integer) as year_offset,
        subrow_of,
        coalesce(has_subrows, false) as has_subrows

    from unioned

)

select * from final
