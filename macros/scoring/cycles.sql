{#- Recycle cycles (docs/funnel_rules.md §4), the one home of the rule: every sales_rejected activity closes a
    cycle and starts the next; a row at time t belongs to cycle
    1 + (number of sales_rejected with occurred_at < t).
    Returns a select of (key_column, cycle_number) for every row of `rows_relation`
    (columns key_column, its unique key, contact_id, occurred_at). The rejections are read here,
    from the staged sales activities, and counted by a join on the contact: rejections are few,
    so the join touches only the rows of contacts that have them, and no row is sorted. -#}
{% macro assign_cycle_numbers(rows_relation, key_column) -%}
    select
        cycle_rows.{{ key_column }},
        1 + count(rejections.contact_id) as cycle_number
    from {{ rows_relation }} as cycle_rows
    left join (
        select
            contact_id,
            occurred_at
        from {{ ref('stg_crm__sales_activities') }}
        where is_rejection and {{ lead_funnel.refresh_filter('contact_id') }}
    ) as rejections
        on
            cycle_rows.contact_id = rejections.contact_id
            and rejections.occurred_at < cycle_rows.occurred_at
    group by cycle_rows.{{ key_column }}
{%- endmacro %}
