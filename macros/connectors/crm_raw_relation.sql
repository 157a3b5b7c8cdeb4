{#- The relation a parsed staging model reads one of the four raw tables of docs/funnel_rules.md §2
    from, by var crm_connector (docs/funnel_rules.md §10): `raw` -> the source table in raw_schema
    (source crm, or marketing for engagement_events); `hubspot` / `salesforce` -> the
    connector's adapter view models/staging/<connector>/<connector>__<table>, which gives the
    same columns from the tables Fivetran lands. Everything downstream runs unchanged. -#}
{% macro crm_raw_relation(table_name) -%}
    {{ return(adapter.dispatch('crm_raw_relation', 'lead_funnel')(table_name)) }}
{%- endmacro %}

{% macro default__crm_raw_relation(table_name) -%}
    {%- set connector = var('crm_connector', 'raw') -%}
    {%- if connector == 'raw' -%}
        {{ return(source('marketing' if table_name == 'engagement_events' else 'crm', table_name)) }}
    {%- elif connector in ('hubspot', 'salesforce') -%}
        {{ return(ref(connector ~ '__' ~ table_name)) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "lead_funnel: var crm_connector must be raw, hubspot or salesforce (got '" ~ connector ~ "')") }}
    {%- endif -%}
{%- endmacro %}
