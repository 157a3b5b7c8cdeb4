{#- Every raw contact row, typed, with the first quarantine reason that applies (or null).
    raw_record, which the quarantine shows, redacts the e-mail's local part; the fingerprint that
    breaks ties between versions hashes the whole row. -#}
{%- set raw_columns = [
    'contact_id', 'email', 'job_title', 'company_name', 'industry', 'country_code', 'lead_source',
    'employee_count', 'created_at', 'updated_at', 'is_deleted', '_loaded_at'
] -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source('crm', 'contacts') }}

),

typed as (

    select
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_code('email') }} as email,
        {{ clean_text('job_title') }} as job_title,
        {{ clean_text('company_name') }} as company_name,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('country_code') }} as country_code,
        coalesce({{ clean_code('lead_source') }}, 'unknown') as lead_source,
        {{ parse_integer('employee_count') }} as employee_count,
        {{ clean_text('created_at') }} as created_at_text,
        {{ parse_timestamp_utc('created_at') }} as created_at,
        {{ parse_timestamp_utc('updated_at') }} as updated_at,
        {{ parse_boolean('is_deleted') }} as is_deleted,
        {{ parse_timestamp_utc('_loaded_at') }} as loaded_at,
        {{ raw_record_text(raw_columns) }} as source_record,
        {{ raw_record_text(raw_columns, email_columns=['email']) }} as raw_record
    from source

),

checked as (

    select
        *,
        {{ regex_extract('email', '^[^@ ]+@([^@ ]+[.][^@ ]+)$', 1) }} as email_domain,
        {{ dbt.hash('source_record') }} as row_fingerprint,
        {{ first_quarantine_reason([
            ('missing_key', 'contact_id is null'),
            ('missing_timestamp', 'created_at_text is null'),
            ('unparseable_timestamp', 'created_at is null'),
            ('after_as_of', 'created_at > ' ~ as_of()),
        ]) }} as quarantine_reason
    from typed

)

select * from checked
