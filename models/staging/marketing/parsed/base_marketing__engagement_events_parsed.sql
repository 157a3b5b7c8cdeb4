{#- Every raw engagement event row, parsed once (the costly part: timestamps and text), with the quarantine
    checks that depend on the row alone: early_quarantine_reason (docs/funnel_rules.md §3 reasons before
    after_as_of) and late_quarantine_reason (those after orphan_contact_id). The reasons that
    depend on as_of and on the staged contacts are added by base_marketing__engagement_events_quarantined and the staging model. Incremental: a
    build parses only the raw rows it has not parsed yet (macros/refresh/parsed_rows.sql). -#}
{{ require_valid_scoring_rules() }}

with

source as {{ not_materialized() }} (

    select * from {{ crm_raw_relation('engagement_events') }}

),

{{ unparsed_raw_rows('engagement_events') }}

typed as (

    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_code('event_type') }} as event_type,
        {{ clean_text('page_url') }} as page_url,
        {{ clean_text('campaign_id') }} as campaign_id,
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
        ('missing_key', 'event_id is null'),
        ('missing_timestamp', 'is_occurred_at_missing'),
        ('unparseable_timestamp', 'occurred_at is null'),
    ],
) }}
