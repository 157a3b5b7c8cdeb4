{#- The rows of the connector mapping seeds for one connector, keyed as the adapters match them
    (docs/funnel_rules.md §10): trimmed, case-insensitive. -#}

{#- connector_status_mapping for (connector, source_field): status_key (trimmed, upper-cased
    source_value), activity_type / rejection_reason (blank -> null: a known value that logs no
    activity), bant_confirmed (blank -> false). One row per key (a repeated value keeps its
    first activity_type alphabetically, so a duplicate row cannot double activities). -#}
{% macro connector_status_rows(connector, source_field) -%}
    select
        upper(trim(source_value)) as status_key,
        min({{ lead_funnel.clean_code('activity_type') }}) as activity_type,
        min({{ lead_funnel.clean_code('rejection_reason') }}) as rejection_reason,
        {{ dbt.bool_or('coalesce(bant_confirmed, false)') }} as bant_confirmed
    from {{ ref('connector_status_mapping') }}
    where
        lower(trim(connector)) = '{{ connector }}'
        and lower(trim(source_field)) = lower('{{ source_field }}')
    group by upper(trim(source_value))
{%- endmacro %}


{#- connector_form_event_types for a connector: form_key (trimmed, lower-cased form_id_or_name)
    and its event_type (trimmed, lower-cased; one per key). -#}
{% macro connector_form_rows(connector) -%}
    select
        lower(trim(form_id_or_name)) as form_key,
        min({{ lead_funnel.clean_code('event_type') }}) as event_type
    from {{ ref('connector_form_event_types') }}
    where lower(trim(connector)) = '{{ connector }}'
    group by lower(trim(form_id_or_name))
{%- endmacro %}
