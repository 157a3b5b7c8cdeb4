{#- docs/funnel_rules.md §10 (Salesforce): the CRM's own MQL stamp per person. Salesforce has no
    standard MQL field (orgs that stamp one use a custom field), so this is empty: zero typed
    rows, and lead_stages.crm_mql_at stays null through the Salesforce connector. -#}
{{ require_valid_scoring_rules() }}

with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as contact_id,
        cast(null as {{ dbt.type_timestamp() }}) as crm_mql_at

)

select * from final
where contact_id is not null
