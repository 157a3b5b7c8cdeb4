{#- A cheap hash of a raw row's text, to group identical raw rows (macros/refresh/parsed_rows.sql):
    equal texts give equal hashes; a collision only makes a group wider. DuckDB's 64-bit hash()
    costs a fraction of md5 on millions of rows, as does PostgreSQL's 64-bit hashtextextended();
    elsewhere md5, as dbt.hash. -#}
{% macro raw_row_hash(text_expression) -%}
    {{ return(adapter.dispatch('raw_row_hash', 'lead_funnel')(text_expression)) }}
{%- endmacro %}

{% macro default__raw_row_hash(text_expression) -%}
    {{ dbt.hash(text_expression) }}
{%- endmacro %}

{% macro duckdb__raw_row_hash(text_expression) -%}
    hash({{ text_expression }})
{%- endmacro %}

{% macro postgres__raw_row_hash(text_expression) -%}
    hashtextextended({{ text_expression }}, 0)
{%- endmacro %}
