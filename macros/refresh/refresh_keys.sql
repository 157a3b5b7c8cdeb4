{#- Incremental models recompute whole contacts: every row of a contact whose key is in
    refresh_contact_keys (computed once per build). refresh_filter is the predicate their import
    CTEs apply on an incremental run; on a full build (first run, --full-refresh, Spark) it is
    `true` and they read everything. -#}
{% macro refresh_filter(key_column) -%}
    {%- if lead_funnel.is_refresh_run() -%}
        {{ key_column }} in (select refresh_key from {{ lead_funnel.refresh_keys_relation() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{% macro refresh_keys_relation() -%}
    {%- set relation = lead_funnel.existing_model_relation('refresh_contact_keys') -%}
    {%- if execute and relation is none -%}
        {{ exceptions.raise_compiler_error(
            "lead_funnel: refresh_contact_keys does not exist; an incremental model cannot run "
            ~ "before it (run the whole DAG, or --full-refresh)") }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- Is this an incremental run of an existing table? dbt's is_incremental(), but false in a unit
    test (which has no relation of its own; a test can still override is_refresh_run), and, for
    the models that recompute whole contacts, false when the previous state is not coherent
    (macros/refresh/checkpoint.sql, incremental_state_problem): the model then reads every
    contact and its strategy replaces every row. The parsed models (strategy parsed_rows) know
    what they processed from their own table. -#}
{% macro is_refresh_run() -%}
    {%- if this is none or model.resource_type == 'unit_test' or not is_incremental() -%}{{ return(false) }}{%- endif -%}
    {%- if config.get('incremental_strategy') == 'parsed_rows' -%}{{ return(true) }}{%- endif -%}
    {{ return(lead_funnel.incremental_state_problem() is none) }}
{%- endmacro %}
