{#- Contacts whose CRM MQL stamp and computed MQL moment disagree (docs/funnel_rules.md §10): "HubSpot says
    MQL on the 3rd, the model says the 9th". One row per contact of lead_stages where crm_mql_at
    and mql_at are both set and differ by more than 24 hours, or only one of them is set (the CRM
    stamped a contact the model never qualified, or the reverse). difference_hours =
    mql_at - crm_mql_at in hours (positive: the model qualified later), null when one is missing.
    A connector that stamps no contact at all (crm_connector raw; Salesforce, which has no
    standard stamp) has nothing to compare with: zero rows, not one row per MQL. -#}
with

lead_stages as (

    select * from {{ ref('lead_stages') }}

),

stamped_contacts as (

    select count(*) as stamp_count from {{ ref('stg_crm__crm_mql_stamps') }}

),

compared as (

    select
        lead_stages.contact_id,
        lead_stages.crm_mql_at,
        lead_stages.mql_at,
        {{ hours_between('lead_stages.crm_mql_at', 'lead_stages.mql_at') }} as difference_hours
    from lead_stages
    cross join stamped_contacts
    where
        stamped_contacts.stamp_count > 0
        and (lead_stages.crm_mql_at is not null or lead_stages.mql_at is not null)

),

final as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(crm_mql_at as {{ dbt.type_timestamp() }}) as crm_mql_at,
        cast(mql_at as {{ dbt.type_timestamp() }}) as mql_at,
        cast(difference_hours as {{ type_double() }}) as difference_hours
    from compared
    where
        crm_mql_at is null
        or mql_at is null
        or abs(difference_hours) > 24

)

select * from final
