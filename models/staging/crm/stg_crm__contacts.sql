{#- One row per contact: its latest usable version (updated_at, then _loaded_at; null lowest). -#}
with

usable_versions as (

    select * from {{ ref('base_crm__contacts_screened') }}
    where quarantine_reason is null and {{ refresh_filter('contact_id') }}

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
