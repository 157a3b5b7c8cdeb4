{{ config(materialized='table') }}
{#- Engagement and product scores of every staged contact at as_of (docs/funnel_rules.md §4): the decayed points
    of the events of its last cycle (int_contacts_cycles_counted), engagement capped, product not. It continues the
    running score of int_engagement_moments_scored: with no event after the cycle's latest
    moment t, S(as_of) = S(t) * 0.5 ^ ((as_of - t) / H), so both models share one summation
    (and one summation order: the result is the same bit for bit on every run). A table rebuilt
    by every build (one row per contact): the score at as_of decays for every contact. -#}
with

moments as (

    select * from {{ ref('int_engagement_moments_scored') }}

),

last_cycles as (

    select * from {{ ref('int_contacts_cycles_counted') }}

),

latest_moments as (

    select
        moments.contact_id,
        moments.uncapped_engagement_score
        * {{ decay_factor(days_between('moments.occurred_at', as_of())) }} as decayed_score_at_as_of,
        moments.product_score
        * {{ decay_factor(days_between('moments.occurred_at', as_of())) }} as decayed_product_score_at_as_of
    from moments
    inner join last_cycles
        on
            moments.contact_id = last_cycles.contact_id
            and moments.cycle_number = last_cycles.last_cycle_number
    where moments.is_latest_in_cycle

),

scored_contacts as (

    select
        last_cycles.contact_id,
        coalesce(latest_moments.decayed_score_at_as_of, 0) as uncapped_engagement_score,
        coalesce(latest_moments.decayed_product_score_at_as_of, 0) as product_score
    from last_cycles
    left join latest_moments
        on last_cycles.contact_id = latest_moments.contact_id

),

final as (

    select
        contact_id,
        cast({{ capped_engagement_score('uncapped_engagement_score') }} as {{ type_double() }}) as engagement_score,
        cast(product_score as {{ type_double() }}) as product_score
    from scored_contacts

)

select * from final
