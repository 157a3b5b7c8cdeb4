{#- Every raw sales activity row, parsed once (the costly part: timestamps and text), with the quarantine
    checks that depend on the row alone: early_quarantine_reason (docs/funnel_rules.md §3 reasons before
    after_as_of) and late_quarantine_reason (those after orphan_contact_id). The reasons that
    depend on as_of and on the staged contacts are added by base_crm__sales_activities_quarantined and the staging model. Incremental: a
    build parses only the raw rows it has not parsed yet (macros/refresh/parsed_rows.sql). -#}
{{ require_valid_scoring_rules() }}

with

source as {{ not_materialized() }} (

    select * from {{ crm_raw_relation('sales_activities') }}

),

{{ unparsed_raw_rows('sales_activities') }}

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
        {{ clean_text('occurred_at') }} is null as is_occurred_at_missing,
        {{ parse_timestamp_utc('occurred_at') }} as occurred_at,
        {{ parse_timestamp_utc('_loaded_at') }} as loaded_at,
        row_hash,
        row_fingerprint,
        row_occurrence
    from unparsed

),

{{ parsed_row_checks(
    early_checks=[
        ('missing_key', 'activity_id is null'),
        ('missing_timestamp', 'is_occurred_at_missing'),
        ('unparseable_timestamp', 'occurred_at is null'),
    ],
    late_checks=[
        ('unknown_activity_type', 'coalesce(activity_type not in ' ~ sql_in_list(known_activity_types()) ~ ', true)'),
    ],
) }}
