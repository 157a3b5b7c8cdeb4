{#- Every raw sales activity, typed, with the first quarantine reason that applies (or null). -#}
{%- set raw_columns = [
    'activity_id', 'contact_id', 'owner_id', 'activity_type', 'rejection_reason', 'budget_confirmed',
    'authority_confirmed', 'need_confirmed', 'timeline_confirmed', 'occurred_at', '_loaded_at'
] -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source('crm', 'sales_activities') }}

),

staged_contacts as (

    select contact_id from {{ ref('stg_crm__contacts') }}

),

typed as (

    select
        {{ clean_text('activity_id') }} as activity_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('owner_id') }} as owner_id,
        {{ clean_code('activity_type') }} as activity_type,
        {{ clean_code('rejection_reason') }} as rejection_reason,
        {{ parse_boolean('budget_confirmed') }} as is_budget_confirmed,
        {{ parse_boolean('authority_confirmed') }} as is_authority_confirmed,
        {{ parse_boolean('need_confirmed') }} as is_need_confirmed,
        {{ parse_boolean('timeline_confirmed') }} as is_timeline_confirmed,
        {{ clean_text('occurred_at') }} as occurred_at_text,
        {{ parse_timestamp_utc('occurred_at') }} as occurred_at,
        {{ parse_timestamp_utc('_loaded_at') }} as loaded_at,
        {{ raw_record_text(raw_columns) }} as raw_record
    from source

),

checked as (

    select
        typed.*,
        {{ dbt.hash('typed.raw_record') }} as row_fingerprint,
        {{ first_quarantine_reason([
            ('missing_key', 'typed.activity_id is null'),
            ('missing_timestamp', 'typed.occurred_at_text is null'),
            ('unparseable_timestamp', 'typed.occurred_at is null'),
            ('after_as_of', 'typed.occurred_at > ' ~ as_of()),
            ('orphan_contact_id', 'staged_contacts.contact_id is null'),
            ('unknown_activity_type', 'coalesce(typed.activity_type not in ' ~ sql_in_list(known_activity_types()) ~ ', true)'),
        ]) }} as quarantine_reason
    from typed
    left join staged_contacts
        on typed.contact_id = staged_contacts.contact_id

)

select * from checked
