{#- Every raw sales activity row with the first quarantine reason that applies, in SPEC §3 order
    (null = usable): the row's own checks from base_crm__sales_activities_parsed around the ones
    that depend on as_of and on the staged contacts (orphan_contact_id). Incremental: a build
    recomputes the rows of the refreshed contacts (refresh_contact_keys). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

parsed as (

    select * from {{ ref('base_crm__sales_activities_parsed') }}
    where {{ refresh_filter('refresh_key') }}

),

staged_contacts as (

    select contact_id from {{ ref('stg_crm__contacts') }}

),

final as (

    select
        parsed.activity_id,
        parsed.contact_id,
        parsed.owner_id,
        parsed.activity_type,
        parsed.rejection_reason,
        parsed.is_budget_confirmed,
        parsed.is_authority_confirmed,
        parsed.is_need_confirmed,
        parsed.is_timeline_confirmed,
        parsed.occurred_at_text,
        parsed.occurred_at,
        parsed.loaded_at,
        parsed.raw_record,
        parsed.row_fingerprint,
        parsed.refresh_key,
        parsed.early_quarantine_reason,
        parsed.late_quarantine_reason,
        coalesce(
            parsed.early_quarantine_reason,
            {{ first_quarantine_reason([
            ('after_as_of', 'parsed.occurred_at > ' ~ as_of()),
            ('orphan_contact_id', 'staged_contacts.contact_id is null'),
        ]) }},
            parsed.late_quarantine_reason
        ) as quarantine_reason
    from parsed
    left join staged_contacts
        on parsed.contact_id = staged_contacts.contact_id

)

select * from final
