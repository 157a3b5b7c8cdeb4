{#- HubSpot adapter (docs/funnel_rules.md §10): Fivetran's `contact` as the raw contacts table of
    docs/funnel_rules.md §2, text as landed (staging types, trims and checks it). lead_source from
    property_hs_analytics_source (macro hubspot_lead_source); _loaded_at from _fivetran_synced.
    Optional properties absent from the table read as null (macro connector_column). -#}
{%- set contact_table = source('hubspot', 'contact') %}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ contact_table }}

),

final as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(property_email as {{ dbt.type_string() }}) as email,
        {{ connector_column(contact_table, 'property_jobtitle') }} as job_title,
        {{ connector_column(contact_table, 'property_company') }} as company_name,
        {{ connector_column(contact_table, 'property_industry') }} as industry,
        {{ connector_column(contact_table, 'property_country') }} as country_code,
        {{ hubspot_lead_source(connector_column(contact_table, 'property_hs_analytics_source')) }} as lead_source,
        -- the contact object lands no employee count (the company's belongs to another object)
        cast(null as {{ dbt.type_string() }}) as employee_count,
        cast(property_createdate as {{ dbt.type_string() }}) as created_at,
        {{ connector_column(contact_table, 'property_lastmodifieddate') }} as updated_at,
        {{ connector_column(contact_table, '_fivetran_deleted') }} as is_deleted,
        cast(_fivetran_synced as {{ dbt.type_string() }}) as _loaded_at
    from source

)

select * from final
