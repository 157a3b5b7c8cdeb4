{#- The campaign touches of every handoff (docs/funnel_rules.md §9): the contact's staged events with a
    campaign_id, of the handoff's cycle, with occurred_at <= the MQL moment t (not mql_at: an event
    before created_at is still a touch), numbered by (occurred_at, event_id). -#}
with

events as (

    select * from {{ ref('stg_marketing__engagement_events') }}
    where campaign_id is not null

),

mql_moments as (

    select * from {{ ref('int_mql_moments_identified') }}

),

cycled_events as (

    {{ assign_cycle_numbers('events') }}

),

touches as (

    select
        mql_moments.contact_id,
        mql_moments.cycle_number,
        mql_moments.mql_event_at,
        cycled_events.event_id,
        cycled_events.campaign_id,
        cycled_events.occurred_at,
        cycled_events.occurred_at = mql_moments.mql_event_at as is_at_mql_moment
    from cycled_events
    inner join mql_moments
        on
            cycled_events.contact_id = mql_moments.contact_id
            and cycled_events.cycle_number = mql_moments.cycle_number
            and cycled_events.occurred_at <= mql_moments.mql_event_at

),

final as (

    select
        contact_id,
        cast(cycle_number as {{ dbt.type_bigint() }}) as cycle_number,
        mql_event_at,
        event_id,
        campaign_id,
        occurred_at,
        is_at_mql_moment,
        cast(row_number() over (
            partition by contact_id, cycle_number
            order by occurred_at, event_id
        ) as {{ dbt.type_bigint() }}) as touch_number,
        cast(count(*) over (partition by contact_id, cycle_number) as {{ dbt.type_bigint() }}) as touch_count,
        cast(sum(case when is_at_mql_moment then 1 else 0 end) over (
            partition by contact_id, cycle_number
        ) as {{ dbt.type_bigint() }}) as touches_at_mql_moment
    from touches

)

select * from final
