{#- One row per opportunity: its latest usable version (updated_at, then _loaded_at; null lowest).
    A deal closed after as_of counts as open at as_of: is_closed, is_won and closed_at describe the
    deal as it stood at as_of (closed_at is null while open). The parsed rows are checked here
    (quarantine_checked_select; base_crm__opportunities_quarantined keeps the others). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

checked_versions as {{ not_materialized() }} (

    {{ quarantine_checked_select('opportunities') }}

),

usable_versions as (

    select * from checked_versions
    where quarantine_reason is null

),

ranked_versions as (

    select
        *,
        row_number() over (
            partition by opportunity_id
            order by updated_at desc nulls last, loaded_at desc nulls last, row_fingerprint desc
        ) as version_rank
    from usable_versions

),

latest_versions as (

    select
        *,
        coalesce(is_closed_in_source and closed_at_in_source <= {{ as_of() }}, false) as is_closed_at_as_of
    from ranked_versions
    where version_rank = 1

),

final as (

    select
        opportunity_id,
        contact_id,
        stage_name,
        amount,
        is_closed_at_as_of as is_closed,
        created_at,
        updated_at,
        loaded_at,
        is_closed_at_as_of and is_won_in_source as is_won,
        case when is_closed_at_as_of then closed_at_in_source end as closed_at
    from latest_versions

)

select * from final
