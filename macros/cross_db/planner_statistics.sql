{#- Post-hook of every model (dbt_project.yml): refresh the planner's statistics of the table
    just built, so that the models built from it are planned on its real row counts and value
    distributions. PostgreSQL plans with the statistics autovacuum gathers in the background:
    a table a moment old has none, the planner guesses a few rows, and picks nested loops over
    what are tens of thousands (a 2,000-contact build once took over 10 minutes). `analyze` of
    the table fixes that; views and ephemeral models have nothing to analyze. Other engines
    need nothing (DuckDB keeps its statistics as it writes; Spark plans on the file sizes):
    an empty hook, which dbt skips. -#}
{% macro refresh_planner_statistics() -%}
    {{ return(adapter.dispatch('refresh_planner_statistics', 'lead_funnel')()) }}
{%- endmacro %}

{% macro default__refresh_planner_statistics() -%}
{%- endmacro %}

{% macro postgres__refresh_planner_statistics() -%}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
