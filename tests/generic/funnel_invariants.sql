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


{#- Per group, the column sums to `total` within a relative tolerance (attribution credits sum to 1
    per handoff and model, docs/funnel_rules.md §9). Returns the groups that do not. -#}
{% test sums_to_per_group(model, column_name, group_by_columns, total=1, tolerance=1e-9) %}
    select
        {{ group_by_columns | join(', ') }},
        sum({{ column_name }}) as column_total
    from {{ model }}
    group by {{ group_by_columns | join(', ') }}
    having abs(sum({{ column_name }}) - {{ total }}) > {{ tolerance }} * {{ total }}
{% endtest %}


{#- The column holds every distinct non-null value of `expression` over `source_model`, except
    the values listed in `excluded_model`.`excluded_column` (lower-cased, trimmed), each exactly
    once, and no other value (every account of lead_stages once: its business email domains,
    docs/funnel_rules.md §8). Returns the missing, extra and repeated values. -#}
{% test one_row_per_source_value(model, column_name, source_model, expression, excluded_model=none,
                                 excluded_column=none) %}
    with

    expected_values as (
        select distinct {{ expression }} as expected_value
        from {{ source_model }}
        where
            {{ expression }} is not null
            {%- if excluded_model is not none %}
            and {{ expression }} not in (
                select lower(trim({{ excluded_column }})) from {{ excluded_model }}
                where {{ excluded_column }} is not null
            )
            {%- endif %}
    ),

    actual_values as (
        select
            {{ column_name }} as actual_value,
            count(*) as row_count
        from {{ model }}
        group by {{ column_name }}
    )

    select
        coalesce(expected_values.expected_value, actual_values.actual_value) as offending_value,
        coalesce(actual_values.row_count, 0) as row_count
    from expected_values
    full outer join actual_values
        on expected_values.expected_value = actual_values.actual_value
    where
        expected_values.expected_value is null
        or actual_values.actual_value is null
        or actual_values.row_count <> 1
{% endtest %}
