{#- The quarantined raw contact rows of the refreshed contacts, each with the first quarantine
    reason that applies in docs/funnel_rules.md §3 order (the row's own checks from
    base_crm__contacts_parsed around after_as_of (created_at)) and its raw text (macro
    quarantined_raw_rows). Incremental: a build recomputes the rows of the refreshed contacts
    (refresh_contact_keys). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
{{ quarantined_raw_rows('contacts') }}
