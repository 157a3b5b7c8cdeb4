{#- One row per (event, behavioural rule) match, with the event's cycle and the points it earns
    after the rule's per-day cap (docs/funnel_rules.md §4). An event may match several rules; a capped match
    stays a matched event with 0 points. Product-usage rules are matched and capped the same way;
    is_product_usage tells which score their points go to. -#}
with

events as (

    select * from {{ ref('stg_marketing__engagement_events') }}
    where {{ refresh_filter('contact_id') }}

),

behavioral_rules as (

    select * from {{ ref('behavioral_scoring_rules') }}

),

cycled_events as (

    {{ assign_cycle_numbers('events') }}

),

matches as (

    select
        cycled_events.event_id,
        cycled_events.contact_id,
        cycled_events.event_type,
        cycled_events.occurred_at,
        cycled_events.cycle_number,
        behavioral_rules.rule_id,
        behavioral_rules.points as rule_points,
        behavioral_rules.max_per_day,
        coalesce(behavioral_rules.is_hand_raiser, false) as is_hand_raiser,
        coalesce(behavioral_rules.is_product_usage, false) as is_product_usage
    from cycled_events
    inner join behavioral_rules
        on {{ behavioral_rule_matches(
            'cycled_events.event_type', 'cycled_events.page_url',
            'behavioral_rules.event_type', 'behavioral_rules.url_contains') }}

),

capped as (

    select
        matches.*,
        cast({{ capped_points(
            'matches.rule_points',
            'matches.max_per_day',
            'matches.contact_id, matches.rule_id, cast(matches.occurred_at as date)',
            'matches.occurred_at, matches.event_id') }} as {{ type_double() }}) as points
    from matches

),

final as (

    select
        capped.event_id,
        capped.contact_id,
        capped.rule_id,
        capped.event_type,
        capped.occurred_at,
        cast(capped.cycle_number as {{ dbt.type_bigint() }}) as cycle_number,
        capped.rule_points,
        capped.points,
        capped.is_hand_raiser,
        capped.is_product_usage
    from capped

)

select * from final
