-- Rules of kind section_sum: the checked code (lhs) equals the sum of the rows
-- of the rule's section (rhs): every catalog row of the section in any of the
-- rule's templates, except the rule's excluded_codes, in catalog order. A row
-- and its sub-rows (parent_code in seeds/indicators.csv: a_other_misc under
-- a_other) are alternatives: the report's table decides which of them count
-- (int_findings__table_equations), never both.
with

rules as (

    select * from {{ ref('int_findings__equation_rules') }}
    where kind = 'section_sum'

),

rule_sections as (

    select distinct
        rule,
        checked_code,
        section,
        template_list,
        excluded_codes

    from rules

),

catalog as (

    select * from {{ ref('stg_seeds__indicator_labels') }}

),

section_rows as (

    select
        rule_sections.rule,
        rule_sections.checked_code,
        catalog.indicator_code,
        min(catalog.catalog_position) as catalog_position,
        max(catalog.parent_code) as parent_code

    from rule_sections
    inner join catalog
        on rule_sections.section = catalog.section
        and list_contains(rule_sections.template_list, catalog.template)
    where not list_contains(rule_sections.excluded_codes, catalog.indicator_code)
    group by rule_sections.rule, rule_sections.checked_code, catalog.indicator_code

),

-- The rows that have sub-rows among the section's rows.
parents as (

    select distinct
        rule,
        checked_code,
        parent_code as indicator_code

    from section_rows
    where parent_code is not null

),

structured as (

    select
        section_rows.rule,
        section_rows.checked_code,
        section_rows.indicator_code,
        section_rows.catalog_position,
        parent_rows.indicator_code as subrow_of,
        parents.indicator_code is not null as has_subrows

    from section_rows
    -- a sub-row's parent counts only when it is one of the section's rows
    left join section_rows as parent_rows
        on section_rows.rule = parent_rows.rule
        and section_rows.checked_code = parent_rows.checked_code
        and section_rows.parent_code = parent_rows.indicator_code
    left join parents
        on section_rows.rule = parents.rule
        and section_rows.checked_code = parents.checked_code
        and section_rows.indicator_code = parents.indicator_code

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
        cast(null as varchar) as subrow_of,
        false as has_subrows

    from rules

),

rhs as (

    select
        rules.rule,
        rules.template,
        rules.checked_code,
        rules.applicant_type,
        rules.rule_description,
        'rhs' as side,
        cast(structured.catalog_position as integer) as term_position,
        structured.indicator_code as term_code,
        structured.subrow_of,
        structured.has_subrows

    from rules
    inner join structured
        on rules.rule = structured.rule
        and rules.checked_code = structured.checked_code

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
