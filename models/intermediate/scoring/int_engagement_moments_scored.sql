{#- Engagement and product scores at every instant a contact had a matched event, per cycle
    (docs/funnel_rules.md §4): the decayed points of the cycle's events at or before that instant (all events of
    the same instant count), engagement_score from the rules that are not product usage (capped
    by var max_engagement_score), product_score from the product-usage rules (never capped).
    Both scores are the same computation, side by side in one ordered window pass per contact
    and cycle: a running sum of points * 2 ^ (d / H) rescaled at each instant. Cycles longer than 512 half-lives are split into segments, each
    with its own anchor; the totals of earlier segments are carried forward with their decay,
    so the powers never overflow; only cycles that span more than one segment take that path.
    The moments' columns are carried through the window passes, never joined back. -#}
{%- set score_kinds = ['engagement', 'product'] -%}

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
        sum(case when is_product_usage then 0 else points end) as engagement_points,
        sum(case when is_product_usage then points else 0 end) as product_points,
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
            as days_since_cycle_start,
        {{ days_between(
            'min(occurred_at) over (partition by contact_id, cycle_number)',
            'max(occurred_at) over (partition by contact_id, cycle_number)') }}
            as cycle_span_days,
        occurred_at = max(occurred_at) over (partition by contact_id, cycle_number) as is_latest_in_cycle
    from moments

),

segmented as (

    select
        *,
        coalesce(floor(days_since_cycle_start / {{ decay_segment_days() }}), 0) as decay_segment,
        coalesce(floor(days_since_cycle_start / {{ decay_segment_days() }}), 0)
        * coalesce({{ decay_segment_days() }}, 0) as segment_start_days,
        coalesce(floor(cycle_span_days / {{ decay_segment_days() }}), 0) as last_decay_segment
    from anchored

),

scored_within_segment as (

    select
        *,
        {%- for score_kind in score_kinds %}
            {{ decayed_running_sum(
                score_kind ~ '_points', 'days_since_cycle_start - segment_start_days',
                'contact_id, cycle_number, decay_segment', 'occurred_at') }}
                as segment_{{ score_kind }}_score{% if not loop.last %},{% endif %}
        {%- endfor %}
    from segmented

),

segment_totals as (

    select
        contact_id,
        cycle_number,
        decay_segment,
        max(occurred_at) as segment_end_at
    from segmented
    where decay_segment < last_decay_segment
    group by contact_id, cycle_number, decay_segment

),

segment_end_scores as (

    select
        segment_totals.contact_id,
        segment_totals.cycle_number,
        segment_totals.decay_segment,
        scored_within_segment.days_since_cycle_start as segment_end_days,
        {%- for score_kind in score_kinds %}
            scored_within_segment.segment_{{ score_kind }}_score
                as segment_end_{{ score_kind }}_score{% if not loop.last %},{% endif %}
        {%- endfor %}
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
        {%- for score_kind in score_kinds %}
            sum(
                segment_end_scores.segment_end_{{ score_kind }}_score
                * {{ decay_between(
                    'segment_end_scores.segment_end_days',
                    'scored_within_segment.days_since_cycle_start') }}
            ) as carried_{{ score_kind }}_score{% if not loop.last %},{% endif %}
        {%- endfor %}
    from scored_within_segment
    inner join segment_end_scores
        on
            scored_within_segment.contact_id = segment_end_scores.contact_id
            and scored_within_segment.cycle_number = segment_end_scores.cycle_number
            and scored_within_segment.decay_segment > segment_end_scores.decay_segment
    where scored_within_segment.decay_segment > 0
    group by
        scored_within_segment.contact_id,
        scored_within_segment.cycle_number,
        scored_within_segment.occurred_at

),

scores_by_kind as (

    select
        scored_within_segment.contact_id,
        scored_within_segment.cycle_number,
        scored_within_segment.occurred_at,
        scored_within_segment.engagement_points,
        scored_within_segment.product_points,
        scored_within_segment.has_hand_raiser,
        scored_within_segment.matched_event_count,
        scored_within_segment.is_latest_in_cycle,
        {%- for score_kind in score_kinds %}
            scored_within_segment.segment_{{ score_kind }}_score
            + coalesce(carried_from_earlier_segments.carried_{{ score_kind }}_score, 0)
                as uncapped_{{ score_kind }}_score{% if not loop.last %},{% endif %}
        {%- endfor %}
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
        cast(engagement_points as {{ type_double() }}) as points,
        has_hand_raiser,
        cast(matched_event_count as {{ dbt.type_bigint() }}) as matched_event_count,
        cast(uncapped_engagement_score as {{ type_double() }}) as uncapped_engagement_score,
        cast({{ capped_engagement_score('uncapped_engagement_score') }} as {{ type_double() }})
            as engagement_score,
        cast(product_points as {{ type_double() }}) as product_points,
        cast(uncapped_product_score as {{ type_double() }}) as product_score,
        is_latest_in_cycle
    from scores_by_kind

)

select * from final
