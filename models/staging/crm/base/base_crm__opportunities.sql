{#- Every raw opportunity row, typed, with the first quarantine reason that applies (or null). -#}
{%- set raw_columns = [
    'opportunity_id', 'contact_id', 'created_at', 'closed_at', 'updated_at', '_loaded_at',
    'stage_name', 'amount', 'is_closed', 'is_won'
] -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

staged_contacts as (

    select contact_id from {{ ref('stg_crm__contacts') }}

),

typed as (

    select
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('stage_name') }} as stage_name,
        {{ parse_decimal('amount') }} as amount,
        {{ parse_boolean('is_closed') }} as is_closed_in_source,
        {{ parse_boolean('is_won') }} as is_won_in_source,
        {{ clean_text('created_at') }} as created_at_text,
        {{ parse_timestamp_utc('created_at') }} as created_at,
        {{ clean_text('closed_at') }} as closed_at_text,
        {{ parse_timestamp_utc('closed_at') }} as closed_at_in_source,
        {{ parse_timestamp_utc('updated_at') }} as updated_at,
        {{ parse_timestamp_utc('_loaded_at') }} as loaded_at,
        {{ raw_record_text(raw_columns) }} as raw_record
    from source

),

checked as (

    select
        typed.*,
        {{ dbt.hash('typed.raw_record') }} as row_fingerprint,
        {{ first_quarantine_reason([
            ('missing_key', 'typed.opportunity_id is null'),
            ('missing_timestamp', 'typed.created_at_text is null or (typed.is_closed_in_source and typed.closed_at_text is null)'),
            ('unparseable_timestamp', 'typed.created_at is null or (typed.is_closed_in_source and typed.closed_at_in_source is null)'),
            ('after_as_of', 'typed.created_at > ' ~ as_of()),
            ('orphan_contact_id', 'staged_contacts.contact_id is null'),
            ('won_not_closed', 'typed.is_won_in_source and not typed.is_closed_in_source'),
            ('negative_amount', 'typed.amount < 0'),
        ]) }} as quarantine_reason
    from typed
    left join staged_contacts
        on typed.contact_id = staged_contacts.contact_id

)

select * from checked
