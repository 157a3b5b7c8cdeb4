{#- Engagement score at every instant a contact had a matched event, per cycle (SPEC §4):
    the capped sum of decayed points of the cycle's events at or before that instant (all events
    of the same instant count). Computed in one ordered window pass per contact and cycle. -#}
with

matched_events as (

    select * from {{ ref('int_engagement_events_matched') }}

),

moments as (

    select
        contact_id,
        cycle_number,
        occurred_at,
        sum(points) as points,
        max(case when is_hand_raiser then 1 else 0 end) = 1 as has_hand_raiser,
        count(distinct event_id) as matched_event_count
    from matched_events
    group by contact_id, cycle_number, occurred_at

),

anchored as (

    select
        *,
        {{ days_between(
            'min(occurred_at) over (partition by contact_id, cycle_number)', 'occurred_at') }}
            as days_since_cycle_anchor
    from moments

),

scored as (

    select
        *,
        {{ decayed_running_sum(
            'points', 'days_since_cycle_anchor', 'contact_id, cycle_number', 'occurred_at') }}
            as uncapped_engagement_score
    from anchored

),

final as (

    select
        contact_id,
        cycle_number,
        occurred_at,
        cast(points as {{ type_double() }}) as points,
        has_hand_raiser,
        cast(matched_event_count as {{ dbt.type_bigint() }}) as matched_event_count,
        cast({{ capped_engagement_score('uncapped_engagement_score') }} as {{ type_double() }})
            as engagement_score
    from scored

)

select * from final
