{#- The `loaded_at_query` of the raw sources (models/staging/*/_*__sources.yml): the newest
    `_loaded_at` of a raw table as staging reads it - parse_timestamp_utc, so an offset is
    applied, text without one is UTC, and blank or unparseable text is left out - as a UTC
    timestamp without time zone. (A `loaded_at_field` is rendered when the project is parsed,
    where macros cannot be called; a `loaded_at_query` is rendered when freshness runs, with
    `this` the source table. On PostgreSQL the parse needs the helper that the on-run-start hook
    create_engine_helpers makes; `dbt source freshness` runs the project's hooks.) -#}
{% macro newest_loaded_at(relation, column='_loaded_at') -%}
    select max({{ lead_funnel.parse_timestamp_utc(column) }}) as max_loaded_at
    from {{ relation }}
{%- endmacro %}
