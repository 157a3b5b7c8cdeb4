{#- Every raw engagement event, typed, with the first quarantine reason that applies (or null). -#}
{%- set raw_columns = [
    'event_id', 'contact_id', 'event_type', 'page_url', 'campaign_id', 'occurred_at', '_loaded_at'
] -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source('marketing', 'engagement_events') }}

),

staged_contacts as (

    select contact_id from {{ ref('stg_crm__contacts') }}

),

typed as (

    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_code('event_type') }} as event_type,
        {{ clean_text('page_url') }} as page_url,
        {{ clean_text('campaign_id') }} as campaign_id,
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
            ('missing_key', 'typed.event_id is null'),
            ('missing_timestamp', 'typed.occurred_at_text is null'),
            ('unparseable_timestamp', 'typed.occurred_at is null'),
            ('after_as_of', 'typed.occurred_at > ' ~ as_of()),
            ('orphan_contact_id', 'staged_contacts.contact_id is null'),
        ]) }} as quarantine_reason
    from typed
    left join staged_contacts
        on typed.contact_id = staged_contacts.contact_id

)

select * from checked
