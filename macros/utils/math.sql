{#- Ratio as a double; null when the denominator is 0 or null (never integer division). -#}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'lead_funnel')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as {{ lead_funnel.type_double() }}) / {{ denominator }}
    end
{%- endmacro %}


{#- Continuous median (linear interpolation between the two middle values). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'lead_funnel')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}


{#- Smallest / largest of the non-null arguments (null only when all are null). -#}
{% macro least_not_null(expressions) -%}
    {{ lead_funnel._fold_not_null(expressions, '<') }}
{%- endmacro %}

{% macro greatest_not_null(expressions) -%}
    {{ lead_funnel._fold_not_null(expressions, '>') }}
{%- endmacro %}

{% macro _fold_not_null(expressions, comparison) -%}
    {%- set folded = namespace(sql=expressions[0]) -%}
    {%- for expression in expressions[1:] -%}
        {%- set folded.sql = "(case when " ~ folded.sql ~ " is null then " ~ expression
            ~ " when " ~ expression ~ " is null then " ~ folded.sql
            ~ " when " ~ expression ~ " " ~ comparison ~ " " ~ folded.sql ~ " then " ~ expression
            ~ " else " ~ folded.sql ~ " end)" -%}
    {%- endfor -%}
    {{ folded.sql }}
{%- endmacro %}
