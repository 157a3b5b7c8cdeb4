{#- A column of a connector's landed table, cast to `data_type`, or a typed null when the table
    lacks it (an optional column: docs/funnel_rules.md §10), so an adapter builds on whatever subset of
    the published columns the EL tool lands. `relation` is the source relation; its columns are
    read once per model through adapter.get_columns_in_relation (nothing at parse time).
    Column names are matched case-insensitively (Snowflake lands them upper-case). -#}
{% macro connector_column(relation, column_name, data_type=none) -%}
    {{ return(adapter.dispatch('connector_column', 'lead_funnel')(relation, column_name, data_type)) }}
{%- endmacro %}

{% macro default__connector_column(relation, column_name, data_type=none) -%}
    {%- set type_name = data_type or dbt.type_string() -%}
    {%- if lead_funnel.connector_has_column(relation, column_name) -%}
        cast({{ adapter.quote(lead_funnel.connector_column_name(relation, column_name)) }} as {{ type_name }})
    {%- else -%}
        cast(null as {{ type_name }})
    {%- endif -%}
{%- endmacro %}


{#- Whether the landed table has the column (case-insensitive). False at parse time. -#}
{% macro connector_has_column(relation, column_name) -%}
    {{ return(lead_funnel.connector_column_name(relation, column_name) is not none) }}
{%- endmacro %}


{#- The column's name as the table spells it, or none when absent (or at parse time). In a dbt
    unit test the relation is the test's fixture (no identifier), whose columns are the landed
    table's: the name as given. -#}
{% macro connector_column_name(relation, column_name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set in_unit_test = model is defined and model is mapping and model.get('resource_type') == 'unit_test' -%}
    {%- if in_unit_test or relation is string or relation.database is none or relation.identifier is none -%}
        {{ return(column_name) }}
    {%- endif -%}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                         identifier=relation.identifier) -%}
    {%- if found is none -%}{{ return(none) }}{%- endif -%}
    {%- for column in adapter.get_columns_in_relation(found) if column.name | lower == column_name | lower -%}
        {{ return(column.name) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
