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


{#- A raw row's fingerprint: md5 of its text (raw_record_text of the table's raw_record_layout),
    which identifies the row and breaks ties between versions. The one definition: the parsed
    models store it and the quarantined models recompute it to find a quarantined row's text. -#}
{% macro raw_row_fingerprint(text_expression) -%}
    {{ dbt.hash(text_expression) }}
{%- endmacro %}
