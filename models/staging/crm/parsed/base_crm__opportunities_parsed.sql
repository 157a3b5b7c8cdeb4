{#- Every raw opportunity row row, parsed once (the costly part: timestamps and text), with the quarantine
    checks that depend on the row alone: early_quarantine_reason (docs/funnel_rules.md §3 reasons before
    after_as_of) and late_quarantine_reason (those after orphan_contact_id). The reasons that
    depend on as_of and on the staged contacts are added by base_crm__opportunities_quarantined and the staging model. Incremental: a
    build parses only the raw rows it has not parsed yet (macros/refresh/parsed_rows.sql). -#}
{{ require_valid_scoring_rules() }}

with

source as {{ not_materialized() }} (

    select * from {{ crm_raw_relation('opportunities') }}

),

{{ unparsed_raw_rows('opportunities') }}

typed as (

    select
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ clean_text('stage_name') }} as stage_name,
        {{ parse_decimal('amount') }} as amount,
        {{ parse_boolean('is_closed') }} as is_closed_in_source,
        {{ parse_boolean('is_won') }} as is_won_in_source,
        {{ clean_text('created_at') }} is null as is_created_at_missing,
        {{ parse_timestamp_utc('created_at') }} as created_at,
        {{ clean_text('closed_at') }} is null as is_closed_at_missing,
        {{ parse_timestamp_utc('closed_at') }} as closed_at_in_source,
        {{ parse_timestamp_utc('updated_at') }} as updated_at,
        {{ parse_timestamp_utc('_loaded_at') }} as loaded_at,
        row_hash,
        row_fingerprint,
        row_occurrence
    from unparsed

),

{{ parsed_row_checks(
    early_checks=[
        ('missing_key', 'opportunity_id is null'),
        ('missing_timestamp', 'is_created_at_missing or (is_closed_in_source and is_closed_at_missing)'),
        ('unparseable_timestamp', 'created_at is null or (is_closed_in_source and closed_at_in_source is null)'),
    ],
    late_checks=[
        ('won_not_closed', 'is_won_in_source and not is_closed_in_source'),
        ('negative_amount', 'amount < 0'),
    ],
) }}
