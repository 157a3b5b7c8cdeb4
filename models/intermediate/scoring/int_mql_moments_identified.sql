{#- The MQL moment of every cycle that reached MQL (docs/funnel_rules.md §4): the earliest matched-event instant
    t of the cycle at which fit + engagement(t) crosses mql_threshold, or a hand-raiser event
    qualifies, or t is the cycle's PQL moment, and the contact had no disqualified activity at or
    before t. The PQL moment of the cycle (the earliest t at which product_score(t) crosses
    pql_threshold with fit_score >= pql_min_fit, no disqualification at or before t) is on the
    same row: a cycle with a PQL moment always has an MQL moment, at it or earlier. -#}
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

milestones as (

    select * from {{ ref('int_contacts_sales_milestones_dated') }}
    where {{ refresh_filter('contact_id') }}

),

evaluated_moments as (

    select
        moments.contact_id,
        moments.cycle_number,
        moments.occurred_at,
        moments.has_hand_raiser,
        moments.engagement_score,
        moments.product_score,
        fit_scores.fit_score,
        contacts.created_at,
        fit_scores.fit_score + moments.engagement_score as total_score
    from moments
    inner join fit_scores
        on moments.contact_id = fit_scores.contact_id
    inner join contacts
        on moments.contact_id = contacts.contact_id
    left join milestones
        on moments.contact_id = milestones.contact_id
    where
        milestones.first_disqualified_at is null
        or moments.occurred_at < milestones.first_disqualified_at

),

pql_moments as (

    select
        contact_id,
        cycle_number,
        min(occurred_at) as pql_event_at
    from evaluated_moments
    where {{ is_over_pql_threshold('product_score', 'fit_score') }}
    group by contact_id, cycle_number

),

qualifying_moments as (

    select
        evaluated_moments.*,
        pql_moments.pql_event_at,
        row_number() over (
            partition by evaluated_moments.contact_id, evaluated_moments.cycle_number
            order by evaluated_moments.occurred_at
        ) as moment_rank
    from evaluated_moments
    left join pql_moments
        on
            evaluated_moments.contact_id = pql_moments.contact_id
            and evaluated_moments.cycle_number = pql_moments.cycle_number
    where
        {{ is_over_mql_threshold('evaluated_moments.total_score') }}
        or {{ is_qualifying_hand_raiser('evaluated_moments.has_hand_raiser', 'evaluated_moments.fit_score') }}
        or evaluated_moments.occurred_at = pql_moments.pql_event_at

),

final as (

    select
        contact_id,
        cycle_number,
        occurred_at as mql_event_at,
        {{ greatest_not_null(['occurred_at', 'created_at']) }} as mql_at,
        {{ mql_reason('total_score', 'has_hand_raiser', 'fit_score') }} as mql_reason,
        cast(total_score as {{ type_double() }}) as score_at_mql,
        cast(fit_score as {{ type_double() }}) as fit_score,
        cast(engagement_score as {{ type_double() }}) as engagement_score_at_mql,
        pql_event_at,
        case when pql_event_at is not null then {{ greatest_not_null(['pql_event_at', 'created_at']) }} end as pql_at
    from qualifying_moments
    where moment_rank = 1

)

select * from final
