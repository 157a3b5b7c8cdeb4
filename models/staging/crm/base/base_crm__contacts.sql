{#- Every raw contact row with the first quarantine reason that applies, in SPEC §3 order
    (null = usable): the row's own checks from base_crm__contacts_parsed around the ones
    that depend on as_of. Incremental: a build
    recomputes the rows of the refreshed contacts (refresh_contact_keys). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

parsed as (

    select * from {{ ref('base_crm__contacts_parsed') }}
    where {{ refresh_filter('refresh_key') }}

),

final as (

    select
        parsed.contact_id,
        parsed.email,
        parsed.job_title,
        parsed.company_name,
        parsed.industry,
        parsed.country_code,
        parsed.lead_source,
        parsed.employee_count,
        parsed.created_at_text,
        parsed.created_at,
        parsed.updated_at,
        parsed.is_deleted,
        parsed.loaded_at,
        parsed.raw_record,
        parsed.row_fingerprint,
        parsed.email_domain,
        parsed.refresh_key,
        parsed.early_quarantine_reason,
        parsed.late_quarantine_reason,
        coalesce(
            parsed.early_quarantine_reason,
            {{ first_quarantine_reason([('after_as_of', 'parsed.created_at > ' ~ as_of())]) }},
            parsed.late_quarantine_reason
        ) as quarantine_reason
    from parsed

)

select * from final
