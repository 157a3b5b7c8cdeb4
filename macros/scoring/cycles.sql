{#- Recycle cycles (docs/funnel_rules.md §4), the one home of the rule: every sales_rejected activity closes a
    cycle and starts the next; a row at time t belongs to cycle
    1 + (number of sales_rejected with occurred_at < t).
    Returns a select of every column of `rows_relation` (which has contact_id and occurred_at)
    plus cycle_number, one row per row. The contact's rejections,
    read here from the staged sales activities, become windows: from each distinct rejection
    instant d (exclusive) to the next one (inclusive, open after the last), cycle 1 + the
    rejections at or before d. A row falls in at most one window of its contact, and in none
    (cycle 1) when it is at or before the first rejection, has none, or has no occurred_at.
    So the rows are joined, never grouped or sorted: rejections are few, and a planner that
    cannot estimate the rows of a CTE (PostgreSQL) still sees one output row per input row. -#}
{% macro assign_cycle_numbers(rows_relation) -%}
    select
        cycle_rows.*,
        coalesce(cycle_windows.cycle_number, 1) as cycle_number
    from {{ rows_relation }} as cycle_rows
    left join (
        select
            contact_id,
            occurred_at as starts_after,
            lead(occurred_at) over (partition by contact_id order by occurred_at) as ends_at,
            1 + sum(rejections) over (
                partition by contact_id
                order by occurred_at
                rows between unbounded preceding and current row
            ) as cycle_number
        from (
            select
                contact_id,
                occurred_at,
                count(*) as rejections
            from {{ ref('stg_crm__sales_activities') }}
            where
                is_rejection
                and occurred_at is not null
                and {{ lead_funnel.refresh_filter('contact_id') }}
            group by contact_id, occurred_at
        ) as rejection_instants
    ) as cycle_windows
        on
            cycle_rows.contact_id = cycle_windows.contact_id
            and cycle_rows.occurred_at > cycle_windows.starts_after
            and (cycle_windows.ends_at is null or cycle_rows.occurred_at <= cycle_windows.ends_at)
{%- endmacro %}
