{#- The MQL moment of every cycle that reached MQL (SPEC §4): the earliest matched-event instant
    t of the cycle at which fit + engagement(t) crosses mql_threshold, or a hand-raiser event
    qualifies, and the contact had no disqualified activity at or before t. -#}
with

moments as (

    select * from {{ ref('int_engagement_moments_scored') }}
    where {{ refresh_filter('contact_id') }}

),

fit_scores as (

    select * from {{ ref('int_contacts_fit_scored') }}
    where {{ refresh_filter('contact_id') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

disqualifications as (

    select
        contact_id,
        min(occurred_at) as first_disqualified_at
    from {{ ref('int_sales_activities_cycled') }}
    where is_disqualification and {{ refresh_filter('contact_id') }}
    group by contact_id

),

evaluated_moments as (

    select
        moments.contact_id,
        moments.cycle_number,
        moments.occurred_at,
        moments.has_hand_raiser,
        moments.engagement_score,
        fit_scores.fit_score,
        contacts.created_at,
        fit_scores.fit_score + moments.engagement_score as total_score
    from moments
    inner join fit_scores
        on moments.contact_id = fit_scores.contact_id
    inner join contacts
        on moments.contact_id = contacts.contact_id
    left join disqualifications
        on moments.contact_id = disqualifications.contact_id
    where
        disqualifications.first_disqualified_at is null
        or moments.occurred_at < disqualifications.first_disqualified_at

),

qualifying_moments as (

    select
        *,
        row_number() over (
            partition by contact_id, cycle_number
            order by occurred_at
        ) as moment_rank
    from evaluated_moments
    where
        {{ is_over_mql_threshold('total_score') }}
        or {{ is_qualifying_hand_raiser('has_hand_raiser', 'fit_score') }}

),

final as (

    select
        contact_id,
        cycle_number,
        occurred_at as mql_event_at,
        {{ greatest_not_null(['occurred_at', 'created_at']) }} as mql_at,
        {{ mql_reason('total_score') }} as mql_reason,
        cast(total_score as {{ type_double() }}) as score_at_mql,
        cast(fit_score as {{ type_double() }}) as fit_score,
        cast(engagement_score as {{ type_double() }}) as engagement_score_at_mql
    from qualifying_moments
    where moment_rank = 1

)

select * from final
