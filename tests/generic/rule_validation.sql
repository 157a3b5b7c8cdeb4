{#- Rows of a rules seed whose `between` value is not two numbers 'lo|hi' with lo <= hi. -#}
{% test between_value_is_numeric_range(model, column_name, operator_column) %}
    select *
    from {{ model }}
    where
        lower(trim({{ operator_column }})) = 'between'
        and not coalesce(
            {{ lead_funnel.parse_decimal(dbt.split_part(column_name, "'|'", 1)) }}
            <= {{ lead_funnel.parse_decimal(dbt.split_part(column_name, "'|'", 2)) }},
            false
        )
{% endtest %}
