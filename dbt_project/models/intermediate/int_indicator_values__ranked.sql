-- Every coded value, from the tables and from the prose, numbered within the
-- fact grain (report_id, indicator_code, applicant_type, value_source).
-- occurrence = 1 is the value the marts keep: the first non-blank one in
-- document order. Later occurrences of a table cell become extraction issues,
-- so a value printed twice is neither lost nor counted twice.
with

cells as (

    select
        report_id,
        indicator_code,
        applicant_type,
        value,
        unit,
        'table' as value_source,
        source_locator,
        source_text,
        row_label,
        column_label,
        is_approximate,
        page,
        line

    from {{ ref('stg_landing__cells') }}
    where indicator_code is not null

),

narrative as (

    select
        report_id,
        indicator_code,
        'total' as applicant_type,
        number as value,
        unit,
        'narrative' as value_source,
        source_locator,
        sentence as source_text,
        cast(null as varchar) as row_label,
        cast(null as varchar) as column_label,
        is_approximate,
        page,
        line

    from {{ ref('stg_landing__narrative_figures') }}
    where indicator_code is not null

),

unioned as (

    select * from cells
    union all by name
    select * from narrative

),

ranked as (

    select
        *,
        row_number() over grain_in_document_order as occurrence,
        first_value(source_locator) over grain_in_document_order as kept_source_locator

    from unioned
    window grain_in_document_order as (
        partition by report_id, indicator_code, applicant_type, value_source
        order by value is null, page nulls last, line nulls last, source_locator
        rows between unbounded preceding and unbounded following
    )

)

select * from ranked
