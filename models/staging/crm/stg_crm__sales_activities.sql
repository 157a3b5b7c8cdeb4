{#- One row per activity_id: the earliest delivery (_loaded_at, null lowest) of the usable rows,
    with one flag per activity type the funnel reads (defined here only). The parsed rows are
    checked here (quarantine_checked_select; base_crm__sales_activities_quarantined keeps the
    others). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

checked_activities as {{ not_materialized() }} (

    {{ quarantine_checked_select('sales_activities') }}

),

usable_activities as (

    select * from checked_activities
    where quarantine_reason is null

),

ranked_deliveries as (

    select
        *,
        row_number() over (
            partition by activity_id
            order by loaded_at asc nulls first, row_fingerprint asc
        ) as delivery_rank
    from usable_activities

),

final as (

    select
        activity_id,
        contact_id,
        owner_id,
        activity_type,
        rejection_reason,
        is_budget_confirmed,
        is_authority_confirmed,
        is_need_confirmed,
        is_timeline_confirmed,
        occurred_at,
        loaded_at,
        activity_type in ('sales_accepted', 'qualification') as is_acceptance,
        activity_type = 'qualification' as is_qualification,
        activity_type = 'sales_rejected' as is_rejection,
        activity_type = 'disqualified' as is_disqualification,
        (
            case when is_budget_confirmed then 1 else 0 end
            + case when is_authority_confirmed then 1 else 0 end
            + case when is_need_confirmed then 1 else 0 end
            + case when is_timeline_confirmed then 1 else 0 end
        ) as bant_confirmed_count
    from ranked_deliveries
    where delivery_rank = 1

)

select * from final
