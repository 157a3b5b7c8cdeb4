{#- HubSpot adapter (docs/funnel_rules.md §10): HubSpot's own MQL stamp per contact,
    property_hs_lifecyclestage_marketingqualifiedlead_date of `contact` parsed to UTC (contacts
    without one: no row). Read by stg_crm__crm_mql_stamps into lead_stages.crm_mql_at. -#}
{%- set contact_table = source('hubspot', 'contact') %}

{{ require_valid_scoring_rules() }}

with

contacts as (

    select * from {{ contact_table }}

),

final as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        {{ parse_timestamp_utc(connector_column(
            contact_table, 'property_hs_lifecyclestage_marketingqualifiedlead_date')) }} as crm_mql_at
    from contacts

)

select * from final
where crm_mql_at is not null
