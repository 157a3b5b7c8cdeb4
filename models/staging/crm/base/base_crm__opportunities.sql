{#- Every raw opportunity row row with the first quarantine reason that applies, in SPEC §3 order
    (null = usable): the row's own checks from base_crm__opportunities_parsed around the ones
    that depend on as_of and on the staged contacts (orphan_contact_id). Incremental: a build
    recomputes the rows of the refreshed contacts (refresh_contact_keys). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

parsed as (

    select * from {{ ref('base_crm__opportunities_parsed') }}
    where {{ refresh_filter('refresh_key') }}

),

staged_contacts as (

    select contact_id from {{ ref('stg_crm__contacts') }}

),

final as (

    select
        parsed.opportunity_id,
        parsed.contact_id,
        parsed.stage_name,
        parsed.amount,
        parsed.is_closed_in_source,
        parsed.is_won_in_source,
        parsed.created_at_text,
        parsed.created_at,
        parsed.closed_at_text,
        parsed.closed_at_in_source,
        parsed.updated_at,
        parsed.loaded_at,
        parsed.raw_record,
        parsed.row_fingerprint,
        parsed.refresh_key,
        parsed.early_quarantine_reason,
        parsed.late_quarantine_reason,
        coalesce(
            parsed.early_quarantine_reason,
            {{ first_quarantine_reason([
            ('after_as_of', 'parsed.created_at > ' ~ as_of()),
            ('orphan_contact_id', 'staged_contacts.contact_id is null'),
        ]) }},
            parsed.late_quarantine_reason
        ) as quarantine_reason
    from parsed
    left join staged_contacts
        on parsed.contact_id = staged_contacts.contact_id

)

select * from final
