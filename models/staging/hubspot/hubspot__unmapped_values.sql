{#- HubSpot adapter (docs/funnel_rules.md §10): values the mapping seeds do not know, counted for
    dq_connector_unmapped_values: hs_lead_status values of `contact_property_history` with no
    row in connector_status_mapping (they log no activity; a blank value, a cleared status, is
    not counted), and form_id values of `contact_form_submission` with no row in
    connector_form_event_types (they log form_submission). One row per value (trimmed). -#}
{{ require_valid_scoring_rules() }}

with

property_history as (

    select * from {{ source('hubspot', 'contact_property_history') }}

),

form_submissions as (

    select * from {{ source('hubspot', 'contact_form_submission') }}

),

status_mapping as (

    {{ connector_status_rows('hubspot', 'hs_lead_status') }}

),

form_event_types as (

    {{ connector_form_rows('hubspot') }}

),

unmapped_statuses as (

    select
        'contact_property_history' as source_table,
        'hs_lead_status' as source_field,
        {{ clean_text('property_history.value') }} as source_value,
        count(*) as row_count
    from property_history
    left join status_mapping
        on upper(trim(cast(property_history.value as {{ dbt.type_string() }}))) = status_mapping.status_key
    where
        lower(trim(cast(property_history.name as {{ dbt.type_string() }}))) = 'hs_lead_status'
        and {{ clean_text('property_history.value') }} is not null
        and status_mapping.status_key is null
    group by {{ clean_text('property_history.value') }}

),

unmapped_forms as (

    select
        'contact_form_submission' as source_table,
        'form_id' as source_field,
        coalesce({{ clean_text('form_submissions.form_id') }}, '(blank)') as source_value,
        count(*) as row_count
    from form_submissions
    left join form_event_types
        on {{ clean_code('form_submissions.form_id') }} = form_event_types.form_key
    where form_event_types.form_key is null
    group by coalesce({{ clean_text('form_submissions.form_id') }}, '(blank)')

),

unmapped_values as (

    select * from unmapped_statuses
    union all
    select * from unmapped_forms

),

final as (

    select
        'hubspot' as connector,
        source_table,
        source_field,
        source_value,
        row_count
    from unmapped_values

)

select * from final
