{#- Every raw contact row, parsed once (the costly part: timestamps and text), with the quarantine
    checks that depend on the row alone: early_quarantine_reason (docs/funnel_rules.md §3 reasons before
    after_as_of) and late_quarantine_reason (those after orphan_contact_id). The reasons that
    depend on as_of and on the staged contacts are added by base_crm__contacts_quarantined and the staging model. Incremental: a
    build parses only the raw rows it has not parsed yet (macros/refresh/parsed_rows.sql). -#}
{{ require_valid_scoring_rules() }}

with

source as {{ not_materialized() }} (

    select * from {{ crm_raw_relation('contacts') }}

),

{{ unparsed_raw_rows('contacts') }}

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
        {{ clean_text('created_at') }} is null as is_created_at_missing,
        {{ parse_timestamp_utc('created_at') }} as created_at,
        {{ parse_timestamp_utc('updated_at') }} as updated_at,
        {{ parse_boolean('is_deleted') }} as is_deleted,
        {{ parse_timestamp_utc('_loaded_at') }} as loaded_at,
        row_hash,
        row_fingerprint,
        row_occurrence
    from unparsed

),

{{ parsed_row_checks(
    early_checks=[
        ('missing_key', 'contact_id is null'),
        ('missing_timestamp', 'is_created_at_missing'),
        ('unparseable_timestamp', 'created_at is null'),
    ],
    extra_columns=[(regex_extract('email', '^[^@ ]+@([^@ ]+[.][^@ ]+)$', 1), 'email_domain')],
) }}
