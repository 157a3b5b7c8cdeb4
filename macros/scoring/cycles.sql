{#- Recycle cycles (SPEC §4), the one home of the rule: every sales_rejected activity closes a
    cycle and starts the next; a row at time t belongs to cycle
    1 + (number of sales_rejected with occurred_at < t).
    Returns a select of (key_column, cycle_number) for every row of `rows_relation`
    (columns key_column, contact_id, occurred_at). The rejections are read here, from the staged
    sales activities. One window pass over the merged timeline: rejections up to and including
    t, minus those exactly at t. -#}
{% macro assign_cycle_numbers(rows_relation, key_column) -%}
    select
        row_key as {{ key_column }},
        1 + rejections_through_instant - rejections_at_instant as cycle_number
    from (
        select
            row_key,
            is_rejection,
            sum(is_rejection) over (
                partition by contact_id
                order by occurred_at
                range between unbounded preceding and current row
            ) as rejections_through_instant,
            sum(is_rejection) over (partition by contact_id, occurred_at) as rejections_at_instant
        from (
            select
                {{ key_column }} as row_key,
                contact_id,
                occurred_at,
                0 as is_rejection
            from {{ rows_relation }}
            union all
            select
                cast(null as {{ dbt.type_string() }}) as row_key,
                contact_id,
                occurred_at,
                1 as is_rejection
            from {{ ref('stg_crm__sales_activities') }}
            where is_rejection and {{ lead_funnel.refresh_filter('contact_id') }}
        ) as timeline
    ) as counted
    where is_rejection = 0
{%- endmacro %}
