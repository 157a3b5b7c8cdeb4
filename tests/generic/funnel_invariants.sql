{#- Funnel invariants of docs/funnel_rules.md §6 as reusable generic tests. Each returns the offending rows. -#}

{#- Every column is >= the next one on every row (e.g. leads >= mqls >= sals ...). -#}
{% test non_increasing_columns(model, column_names) %}
    select *
    from {{ model }}
    where
    {%- for column_name in column_names[:-1] %}
        {{ column_name }} < {{ column_names[loop.index] }}
        {%- if not loop.last %} or{% endif %}
    {%- endfor %}
{% endtest %}


{#- Stage timestamps are ordered: a later stage is set only when the earlier one is, and never
    before it (mql_at <= sal_at <= sql_at <= opportunity_at <= customer_at). -#}
{% test ordered_timestamps(model, column_names) %}
    select *
    from {{ model }}
    where
    {%- for column_name in column_names[:-1] %}
        {%- set later = column_names[loop.index] %}
        ({{ later }} is not null and ({{ column_name }} is null or {{ column_name }} > {{ later }}))
        {%- if not loop.last %} or{% endif %}
    {%- endfor %}
{% endtest %}


{#- Non-null values lie in [min_value, max_value] (inclusive). -#}
{% test value_between(model, column_name, min_value, max_value) %}
    select *
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}


{#- No two rows share the same combination of these columns (e.g. one handoff per contact and
    cycle). Null parts count as values. -#}
{% test unique_combination(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}


{#- Every row satisfies a boolean SQL expression. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
