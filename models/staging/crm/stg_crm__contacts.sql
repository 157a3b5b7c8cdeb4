{#- One row per contact: its latest usable version (updated_at, then _loaded_at; null lowest). The
    parsed rows are checked here (quarantine_checked_select; base_crm__contacts_quarantined keeps
    the others). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

checked_versions as {{ not_materialized() }} (

    {{ quarantine_checked_select('contacts') }}

),

usable_versions as (

    select * from checked_versions
    where quarantine_reason is null

),

ranked_versions as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by updated_at desc nulls last, loaded_at desc nulls last, row_fingerprint desc
        ) as version_rank
    from usable_versions

),

final as (

    select
        contact_id,
        email,
        email_domain,
        job_title,
        company_name,
        industry,
        country_code,
        lead_source,
        employee_count,
        created_at,
        updated_at,
        is_deleted,
        loaded_at
    from ranked_versions
    where version_rank = 1

)

select * from final
