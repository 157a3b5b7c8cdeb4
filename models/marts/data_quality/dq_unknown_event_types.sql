{#- Staged events whose type is not in the docs/funnel_rules.md vocabulary: kept (they match no scoring rule)
    but counted here so that marketing ops can add a rule or fix the tracking plan. -#}
with

events as (

    select * from {{ ref('stg_marketing__engagement_events') }}

),

unknown_events as (

    select * from events
    where event_type is null or event_type not in {{ sql_in_list(known_event_types()) }}

),

final as (

    select
        coalesce(event_type, '(blank)') as event_type,
        cast(count(*) as {{ dbt.type_bigint() }}) as event_count,
        cast(count(distinct contact_id) as {{ dbt.type_bigint() }}) as contact_count,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at
    from unknown_events
    group by coalesce(event_type, '(blank)')

)

select * from final
