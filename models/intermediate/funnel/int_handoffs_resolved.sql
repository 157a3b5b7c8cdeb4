{#- One marketing -> sales handoff per cycle that reached MQL, with sales' response (docs/funnel_rules.md §5):
    the earliest sales_accepted / qualification of the cycle at or after mql_at (accepted) or the
    cycle's closing sales_rejected (rejected); an acceptance and the rejection at the same instant
    count as accepted. The SLA verdict, which moves with as_of, is int_handoffs_sla_checked's. -#}
with

mql_moments as (

    select * from {{ ref('int_mql_moments_identified') }}
    where {{ refresh_filter('contact_id') }}

),

activities as (

    select * from {{ ref('int_sales_activities_cycled') }}
    where {{ refresh_filter('contact_id') }}

),

candidate_responses as (

    select
        mql_moments.contact_id,
        mql_moments.cycle_number,
        activities.activity_id,
        activities.occurred_at,
        activities.owner_id,
        activities.rejection_reason,
        case when activities.is_rejection then 'rejected' else 'accepted' end as outcome
    from mql_moments
    inner join activities
        on
            mql_moments.contact_id = activities.contact_id
            and mql_moments.cycle_number = activities.cycle_number
    where
        activities.is_rejection
        or (activities.is_acceptance and activities.occurred_at >= mql_moments.mql_at)

),

ranked_responses as (

    select
        *,
        row_number() over (
            partition by contact_id, cycle_number
            order by occurred_at, case when outcome = 'accepted' then 0 else 1 end, activity_id
        ) as response_rank
    from candidate_responses

),

first_responses as (

    select * from ranked_responses
    where response_rank = 1

),

responded as (

    select
        mql_moments.contact_id,
        mql_moments.cycle_number,
        mql_moments.mql_at,
        mql_moments.mql_reason,
        mql_moments.score_at_mql,
        mql_moments.pql_at,
        first_responses.occurred_at as responded_at,
        first_responses.owner_id,
        coalesce(first_responses.outcome, 'pending') as outcome,
        case when first_responses.outcome = 'accepted' then first_responses.occurred_at end as sal_at,
        case when first_responses.outcome = 'rejected' then first_responses.occurred_at end as rejected_at,
        case when first_responses.outcome = 'rejected' then first_responses.rejection_reason end
            as rejection_reason
    from mql_moments
    left join first_responses
        on
            mql_moments.contact_id = first_responses.contact_id
            and mql_moments.cycle_number = first_responses.cycle_number

),

sql_moments as (

    select
        responded.contact_id,
        responded.cycle_number,
        min(activities.occurred_at) as sql_at
    from responded
    inner join activities
        on
            responded.contact_id = activities.contact_id
            and responded.cycle_number = activities.cycle_number
    where
        activities.is_sql_qualification
        and activities.occurred_at >= responded.sal_at
    group by responded.contact_id, responded.cycle_number

),

final as (

    select
        {{ dbt.concat(['responded.contact_id', "'-'",
            "cast(responded.cycle_number as " ~ dbt.type_string() ~ ")"]) }} as handoff_id,
        responded.contact_id,
        responded.cycle_number,
        responded.mql_at,
        responded.mql_reason,
        responded.score_at_mql,
        responded.pql_at,
        responded.outcome,
        responded.responded_at,
        cast({{ hours_between('responded.mql_at', 'responded.responded_at') }} as {{ type_double() }})
            as response_hours,
        responded.sal_at,
        responded.rejected_at,
        responded.rejection_reason,
        sql_moments.sql_at,
        responded.owner_id
    from responded
    left join sql_moments
        on
            responded.contact_id = sql_moments.contact_id
            and responded.cycle_number = sql_moments.cycle_number

)

select * from final
