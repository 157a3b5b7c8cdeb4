{#- Connector values the mapping seeds do not know (docs/funnel_rules.md §10): lead statuses with no
    row in connector_status_mapping (they log no activity) and forms with no row in
    connector_form_event_types (they log form_submission), counted per value so that marketing
    ops can map them: never dropped silently. From the adapter's <connector>__unmapped_values;
    zero rows for var crm_connector raw. -#}
{%- set connector = var('crm_connector', 'raw') %}
{#- no model runs while a scoring-rule seed is invalid (docs/funnel_rules.md §12) -#}
{{ require_valid_scoring_rules() }}

with

unmapped_values as (

    {% if connector == 'raw' %}
        select
            cast(null as {{ dbt.type_string() }}) as connector,
            cast(null as {{ dbt.type_string() }}) as source_table,
            cast(null as {{ dbt.type_string() }}) as source_field,
            cast(null as {{ dbt.type_string() }}) as source_value,
            cast(null as {{ dbt.type_bigint() }}) as row_count
        where 1 = 0
    {% else %}
        select * from {{ ref(connector ~ '__unmapped_values') }}
    {% endif %}

),

final as (

    select
        cast(connector as {{ dbt.type_string() }}) as connector,
        cast(source_table as {{ dbt.type_string() }}) as source_table,
        cast(source_field as {{ dbt.type_string() }}) as source_field,
        cast(source_value as {{ dbt.type_string() }}) as source_value,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count
    from unmapped_values

)

select * from final
