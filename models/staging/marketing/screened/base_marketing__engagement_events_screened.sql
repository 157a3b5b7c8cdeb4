{#- Every raw engagement event row of the refreshed contacts with the first quarantine reason that
    applies, in docs/funnel_rules.md §3 order (null = usable): the row's own checks from
    base_marketing__engagement_events_parsed around after_as_of (occurred_at) and orphan_contact_id
    (macro quarantine_checked_rows). Incremental: a build recomputes the rows of the refreshed
    contacts (refresh_contact_keys). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
{{ quarantine_checked_rows('base_marketing__engagement_events_parsed', 'engagement_events', 'occurred_at') }}
