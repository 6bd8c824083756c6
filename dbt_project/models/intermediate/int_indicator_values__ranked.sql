-- Every coded table value, and the prose figures that fill a table's gap, numbered within the
-- fact grain (report_id, indicator_code, applicant_type, value_source).
-- occurrence = 1 is the value the marts keep: the first non-blank one in
-- document order. Later occurrences of a table cell become extraction issues,
-- so a value printed twice is neither lost nor counted twice.
-- Incremental by report: every window is within one report.
{{ incremental_by_report() }}
-- depends_on: {{ ref('stg_landing__reports') }}
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
        match_method,
        page,
        line

    from {{ ref('stg_landing__cells') }}
    where indicator_code is not null
        and {{ rebuilt_only('report_id') }}

),

table_totals as (

    select
        report_id,
        indicator_code,
        max(value) as value

    from cells
    where applicant_type = 'total'
    group by report_id, indicator_code

),

-- A prose figure fills a gap and never overrides the table: only where the
-- table has no value for the code, only exact figures (3200余条 is a lower
-- bound, not a value), and only when the prose states one number for it.
narrative_figures as (

    select
        figures.*,
        count(distinct figures.number)
            over (partition by figures.report_id, figures.indicator_code)
            as numbers_stated

    from {{ ref('stg_landing__narrative_figures') }} as figures
    left join table_totals
        on figures.report_id = table_totals.report_id
        and figures.indicator_code = table_totals.indicator_code
    where figures.indicator_code is not null
        and not figures.is_approximate
        and table_totals.value is null
        and {{ rebuilt_only('figures.report_id') }}

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
        'narrative' as match_method,
        page,
        line

    from narrative_figures
    where numbers_stated = 1

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
