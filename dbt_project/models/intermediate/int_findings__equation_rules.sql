-- The table equations of seeds/consistency_rules.csv: one row per rule row,
-- template it checks and applicant column its equations are written for
-- ('matrix': every column of applicant_types.csv, total included). A rule row
-- without templates (the prose figures, the duplicate files) compares other
-- things and has no row here. The term models of each kind read this.
with

rules as (

    select
        rule,
        kind,
        regexp_split_to_array(trim(templates), '\s*\+\s*') as template_list,
        applicant_types,
        checked_code,
        section,
        coalesce(regexp_split_to_array(trim(excluded_codes), '\s*\+\s*'), []) as excluded_codes,
        equation,
        rule_description

    from {{ ref('consistency_rules') }}

),

applicants as (

    select applicant_type from {{ ref('applicant_types') }}

),

rule_templates as (

    select
        *,
        unnest(template_list) as template

    from rules

),

final as (

    select
        rule_templates.rule,
        rule_templates.kind,
        rule_templates.template,
        rule_templates.template_list,
        rule_templates.checked_code,
        applicants.applicant_type,
        rule_templates.section,
        rule_templates.excluded_codes,
        rule_templates.equation,
        rule_templates.rule_description

    from rule_templates
    inner join applicants
        on rule_templates.applicant_types = 'matrix'
        or rule_templates.applicant_types = applicants.applicant_type

)

select * from final
