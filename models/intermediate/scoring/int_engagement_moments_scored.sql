{#- Engagement score at every instant a contact had a matched event, per cycle (SPEC §4):
    the capped sum of decayed points of the cycle's events at or before that instant (all events
    of the same instant count). Computed in one ordered window pass per contact and cycle: a
    running sum of points * 2 ^ (d / H) rescaled at each instant. Cycles longer than 512
    half-lives are split into segments, each with its own anchor; the totals of earlier segments
    are carried forward with their decay, so the powers never overflow. -#}
with

matched_events as (

    select * from {{ ref('int_engagement_events_matched') }}
    where {{ refresh_filter('contact_id') }}

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
            as days_since_cycle_start
    from moments

),

segmented as (

    select
        *,
        coalesce(floor(days_since_cycle_start / {{ decay_segment_days() }}), 0) as decay_segment,
        coalesce(floor(days_since_cycle_start / {{ decay_segment_days() }}), 0)
        * coalesce({{ decay_segment_days() }}, 0) as segment_start_days
    from anchored

),

scored_within_segment as (

    select
        *,
        {{ decayed_running_sum(
            'points', 'days_since_cycle_start - segment_start_days',
            'contact_id, cycle_number, decay_segment', 'occurred_at') }}
            as segment_engagement_score
    from segmented

),

segment_totals as (

    select
        contact_id,
        cycle_number,
        decay_segment,
        max(occurred_at) as segment_end_at
    from segmented
    group by contact_id, cycle_number, decay_segment

),

segment_end_scores as (

    select
        segment_totals.contact_id,
        segment_totals.cycle_number,
        segment_totals.decay_segment,
        scored_within_segment.days_since_cycle_start as segment_end_days,
        scored_within_segment.segment_engagement_score as segment_end_score
    from segment_totals
    inner join scored_within_segment
        on
            segment_totals.contact_id = scored_within_segment.contact_id
            and segment_totals.cycle_number = scored_within_segment.cycle_number
            and segment_totals.decay_segment = scored_within_segment.decay_segment
            and segment_totals.segment_end_at = scored_within_segment.occurred_at

),

carried_from_earlier_segments as (

    select
        scored_within_segment.contact_id,
        scored_within_segment.cycle_number,
        scored_within_segment.occurred_at,
        sum(
            segment_end_scores.segment_end_score
            * {{ decay_between(
                'segment_end_scores.segment_end_days',
                'scored_within_segment.days_since_cycle_start') }}
        ) as carried_engagement_score
    from scored_within_segment
    inner join segment_end_scores
        on
            scored_within_segment.contact_id = segment_end_scores.contact_id
            and scored_within_segment.cycle_number = segment_end_scores.cycle_number
            and scored_within_segment.decay_segment > segment_end_scores.decay_segment
    group by
        scored_within_segment.contact_id,
        scored_within_segment.cycle_number,
        scored_within_segment.occurred_at

),

combined as (

    select
        scored_within_segment.*,
        scored_within_segment.segment_engagement_score
        + coalesce(carried_from_earlier_segments.carried_engagement_score, 0) as uncapped_engagement_score
    from scored_within_segment
    left join carried_from_earlier_segments
        on
            scored_within_segment.contact_id = carried_from_earlier_segments.contact_id
            and scored_within_segment.cycle_number = carried_from_earlier_segments.cycle_number
            and scored_within_segment.occurred_at = carried_from_earlier_segments.occurred_at

),

final as (

    select
        contact_id,
        cycle_number,
        occurred_at,
        cast(points as {{ type_double() }}) as points,
        has_hand_raiser,
        cast(matched_event_count as {{ dbt.type_bigint() }}) as matched_event_count,
        cast(uncapped_engagement_score as {{ type_double() }}) as uncapped_engagement_score,
        cast({{ capped_engagement_score('uncapped_engagement_score') }} as {{ type_double() }})
            as engagement_score,
        row_number() over (
            partition by contact_id, cycle_number order by occurred_at desc
        ) = 1 as is_latest_in_cycle
    from combined

)

select * from final
