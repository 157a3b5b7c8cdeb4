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


{#- Every match of `pattern` replaced by `replacement` (a plain string without backslashes). -#}
{% macro regex_replace(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'lead_funnel')(expression, pattern, replacement)) }}
{%- endmacro %}

{#- The 'g' flag makes it global: DuckDB, PostgreSQL, Redshift. -#}
{% macro default__regex_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Spark (Java regular expressions) replaces every match without a flag. -#}
{% macro spark__regex_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}
