{#- Regular expressions differ in name on every engine; these two wrappers keep model SQL portable.
    Patterns must avoid backslashes: write [0-9], [.], [ ] instead. -#}

{% macro regex_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'lead_funnel')(expression, pattern)) }}
{%- endmacro %}

{#- regexp_like: Spark, Snowflake, Trino, Oracle, MySQL. -#}
{% macro default__regex_matches(expression, pattern) -%}
    regexp_like({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__regex_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}


{% macro regex_extract(expression, pattern, group_number) -%}
    {{ return(adapter.dispatch('regex_extract', 'lead_funnel')(expression, pattern, group_number)) }}
{%- endmacro %}

{#- regexp_extract: DuckDB, Spark, Trino, Databricks (no match gives '' or null: both null here). -#}
{% macro default__regex_extract(expression, pattern, group_number) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', {{ group_number }}), '')
{%- endmacro %}

{% macro postgres__regex_extract(expression, pattern, group_number) -%}
    (regexp_match({{ expression }}, '{{ pattern }}'))[{{ group_number }}]
{%- endmacro %}
