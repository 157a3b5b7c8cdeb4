{#- Double precision floats: `double` fails on PostgreSQL and `float` is 4 bytes on DuckDB. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'lead_funnel')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}


{#- dbt.safe_cast emits a plain cast on DuckDB and Spark (ANSI mode), which raises on bad input:
    try_cast returns null instead. PostgreSQL has no try_cast (see postgres__safe_cast). -#}
{% macro default__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
