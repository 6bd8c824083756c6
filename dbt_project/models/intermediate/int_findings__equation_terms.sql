-- Every table equation the consistency rules promise, one row per term:
-- actual (lhs) = expected (rhs), each side the signed sum of its terms. An
-- equation is (rule, template, checked_code, applicant_type); its terms name a
-- cell (term_code, term_applicant_type) of the report itself (year_offset 0)
-- or of the same body's report for the previous year (-1). The terms of each
-- kind of rule come from that kind's own model.
with

unioned as (

    select * from {{ ref('int_findings__sum_of_terms') }}
    union all by name
    select * from {{ ref('int_findings__section_sum_terms') }}
    union all by name
    select * from {{ ref('int_findings__row_total_terms') }}
    union all by name
    select * from {{ ref('int_findings__written_terms') }}

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
