{#- HubSpot adapter (docs/funnel_rules.md §10): the raw sales_activities table of docs/funnel_rules.md §2 from
    the value changes of hs_lead_status in Fivetran's `contact_property_history`. Per contact in
    time order (ties by value), a row whose value (trimmed, case-insensitive) equals the previous
    one is no change. A change logs the activity seed connector_status_mapping gives the value
    (defaults: IN_PROGRESS, ATTEMPTED_TO_CONTACT, CONNECTED -> sales_accepted; OPEN_DEAL ->
    qualification with all four BANT fields confirmed; BAD_TIMING -> sales_rejected bad_timing;
    UNQUALIFIED -> disqualified other); a value whose row has no activity_type (NEW, OPEN) or
    that has no row logs nothing (the latter is counted in dq_connector_unmapped_values).
    activity_id = contact_id || '-' || the change's epoch seconds (stable, one per instant: the
    history holds one value per contact, property and instant); owner_id = the contact's
    property_hubspot_owner_id; a qualification's four BANT fields are all bant_confirmed.
    _loaded_at from _fivetran_synced. -#}
{%- set contact_table = source('hubspot', 'contact') %}

{{ require_valid_scoring_rules() }}

with

contacts as (

    select * from {{ contact_table }}

),

property_history as (

    select * from {{ source('hubspot', 'contact_property_history') }}

),

status_mapping as (

    {{ connector_status_rows('hubspot', 'hs_lead_status') }}

),

contact_owners as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        max({{ connector_column(contact_table, 'property_hubspot_owner_id') }}) as owner_id
    from contacts
    group by cast(id as {{ dbt.type_string() }})

),

lead_statuses as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        upper(trim(cast(value as {{ dbt.type_string() }}))) as status_key,
        cast({{ adapter.quote('timestamp') }} as {{ dbt.type_string() }}) as changed_at_text,
        {{ parse_timestamp_utc(adapter.quote('timestamp')) }} as changed_at,
        cast(_fivetran_synced as {{ dbt.type_string() }}) as loaded_at
    from property_history
    where lower(trim(cast(name as {{ dbt.type_string() }}))) = 'hs_lead_status'

),

status_changes as (

    select
        *,
        lag(status_key) over (
            partition by contact_id
            order by changed_at, status_key
        ) as previous_status_key
    from lead_statuses

),

mapped_changes as (

    select
        status_changes.contact_id,
        status_changes.changed_at_text,
        status_changes.changed_at,
        status_changes.loaded_at,
        status_mapping.activity_type,
        status_mapping.rejection_reason,
        status_mapping.bant_confirmed
    from status_changes
    inner join status_mapping
        on status_changes.status_key = status_mapping.status_key
    where
        (
            status_changes.previous_status_key is null
            or status_changes.previous_status_key <> status_changes.status_key
        )
        and status_mapping.activity_type is not null

),

final as (

    select
        {{ dbt.concat([
            'mapped_changes.contact_id', "'-'",
            "coalesce(cast(cast(" ~ epoch_seconds('mapped_changes.changed_at') ~ " as " ~ dbt.type_bigint() ~ ") as "
                ~ dbt.type_string() ~ "), mapped_changes.changed_at_text)"]) }} as activity_id,
        mapped_changes.contact_id,
        contact_owners.owner_id,
        mapped_changes.activity_type,
        mapped_changes.rejection_reason,
        {%- for bant_field in ['budget', 'authority', 'need', 'timeline'] %}
            case
                when mapped_changes.activity_type = 'qualification'
                    then case when mapped_changes.bant_confirmed then 'true' else 'false' end
            end as {{ bant_field }}_confirmed,
        {%- endfor %}
        mapped_changes.changed_at_text as occurred_at,
        mapped_changes.loaded_at as _loaded_at
    from mapped_changes
    left join contact_owners
        on mapped_changes.contact_id = contact_owners.contact_id

)

select * from final
