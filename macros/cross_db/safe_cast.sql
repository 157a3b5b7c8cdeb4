{#- dbt.safe_cast is a plain cast on DuckDB and on Spark (whose ANSI mode, the default since
    Spark 4, raises on bad input): these engines get try_cast, which returns null instead.
    Other engines keep their adapter's own safe_cast; PostgreSQL has none and uses a helper
    function (postgres__safe_cast in engine_helpers.sql). -#}
{% macro duckdb__safe_cast(field, type) -%}
    {{ lead_funnel.try_cast(field, type) }}
{%- endmacro %}

{% macro spark__safe_cast(field, type) -%}
    {{ lead_funnel.try_cast(field, type) }}
{%- endmacro %}

{#- `try_cast(field as type)`: null where a cast would raise (DuckDB, Spark, Snowflake, Trino). -#}
{% macro try_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
