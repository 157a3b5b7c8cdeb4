{#- docs/funnel_rules.md §10 (Salesforce): every lead status value the funnel reads, with its meaning
    from seed connector_status_mapping (connector salesforce, source_field Status; values matched
    trimmed and case-insensitive). A lead with Status rows in lead_history (not deleted) gives one
    row per row (new_value at created_date); a lead without any gives its current status at
    last_modified_date (activity id `<lead id>:status`). is_known is false for a value the seed
    has no row for (counted in salesforce__unmapped_values); a known value with a blank
    activity_type (`Open - Not Contacted`) produces no activity. owner_id is the lead's. -#}
{{ require_valid_scoring_rules() }}

with

leads as (

    select * from {{ ref('base_salesforce__leads') }}

),

history as (

    select * from {{ ref('base_salesforce__lead_history') }}

),

status_mapping as (

    {{ connector_status_rows('salesforce', 'Status') }}

),

status_changes as (

    select
        history_id as activity_id,
        lead_id,
        new_value as status,
        created_date as occurred_at,
        _fivetran_synced as loaded_at,
        'lead_history' as source_table,
        'Status' as source_field
    from history
    where
        lower(field_name) = 'status'
        and new_value is not null
        and not {{ parse_boolean('is_deleted') }}

),

current_statuses as (

    select
        {{ dbt.concat(['leads.lead_id', "':status'"]) }} as activity_id,
        leads.lead_id,
        leads.status,
        leads.last_modified_date as occurred_at,
        leads._fivetran_synced as loaded_at,
        'lead' as source_table,
        'status' as source_field
    from leads
    where
        leads.lead_id is not null
        and leads.status is not null
        and not exists (
            select 1 from status_changes
            where status_changes.lead_id = leads.lead_id
        )

),

statuses as (

    select * from status_changes
    union all
    select * from current_statuses

),

mapped_statuses as (

    select
        statuses.*,
        leads.owner_id,
        status_mapping.activity_type,
        status_mapping.rejection_reason,
        status_mapping.status_key is not null as is_known,
        coalesce(status_mapping.bant_confirmed, false) as bant_confirmed
    from statuses
    left join leads
        on statuses.lead_id = leads.lead_id
    left join status_mapping
        on upper(statuses.status) = status_mapping.status_key

),

final as (

    select
        activity_id,
        lead_id,
        owner_id,
        status,
        is_known,
        activity_type,
        rejection_reason,
        bant_confirmed,
        occurred_at,
        loaded_at,
        source_table,
        source_field
    from mapped_statuses

)

select * from final
