{#- on-run-start: create the helper functions an engine lacks before any model runs.
    PostgreSQL has no try_cast: lead_funnel_try_timestamp(text) returns null where a cast would
    raise (used by postgres__safe_cast), and for text that does not start with an ISO date —
    PostgreSQL would read 'yesterday', 'now' or 'epoch' as timestamps. Other engines need
    nothing. -#}
{% macro create_engine_helpers() -%}
    {{ return(adapter.dispatch('create_engine_helpers', 'lead_funnel')()) }}
{%- endmacro %}

{% macro default__create_engine_helpers() -%}
    select 1 as engine_helpers_ready
{%- endmacro %}

{% macro postgres__create_engine_helpers() -%}
    create schema if not exists {{ target.schema }};
    create or replace function {{ target.schema }}.lead_funnel_try_timestamp(value text)
    returns timestamp language plpgsql immutable as $helper$
    begin
        if value !~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T]|$)' then
            return null;
        end if;
        return value::timestamp;
    exception when others then
        return null;
    end
    $helper$;
{%- endmacro %}


{#- dbt.safe_cast is a plain cast on PostgreSQL; timestamps go through the helper above. -#}
{% macro postgres__safe_cast(field, type) -%}
    {%- if 'timestamp' in (type | lower) -%}
        {{ target.schema }}.lead_funnel_try_timestamp(cast({{ field }} as text))
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}


{#- `not materialized` where a CTE can be told so (DuckDB, PostgreSQL): a CTE that only reads a
    table and is read twice is then scanned twice instead of being copied whole first (the raw
    table of a parsed model: 19 s of CPU at 18.6 M rows on DuckDB). Elsewhere nothing: Spark
    has no such syntax and inlines CTEs. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'lead_funnel')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro postgres__not_materialized() -%}
    not materialized
{%- endmacro %}
