{#- The CRM's own MQL stamp per contact, beside the one the model computes (docs/funnel_rules.md §10):
    HubSpot's property_hs_lifecyclestage_marketingqualifiedlead_date through the adapter's
    <connector>__crm_mql_stamps; none for var crm_connector raw (zero rows) nor for Salesforce,
    which has no standard stamp. One row per contact: the earliest stamp. A table rebuilt by every
    build (small, and not part of the incremental refresh). -#}
{{ config(materialized='table') }}
{#- no model runs while a scoring-rule seed is invalid (docs/funnel_rules.md §12) -#}
{{ require_valid_scoring_rules() }}

{%- set connector = var('crm_connector', 'raw') %}

with

stamps as (

    {% if connector == 'raw' %}
        select
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_timestamp() }}) as crm_mql_at
        where 1 = 0
    {% else %}
        select * from {{ ref(connector ~ '__crm_mql_stamps') }}
    {% endif %}

),

final as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(min(crm_mql_at) as {{ dbt.type_timestamp() }}) as crm_mql_at
    from stamps
    where contact_id is not null and crm_mql_at is not null
    group by contact_id

)

select * from final
