{#- Engagement score of every staged contact at as_of: decayed points of the events of its last
    cycle (1 + number of sales_rejected activities), capped (SPEC §4). -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

matched_events as (

    select * from {{ ref('int_engagement_events_matched') }}

),

last_cycles as (

    select
        contacts.contact_id,
        1 + count(activities.activity_id) as last_cycle_number
    from contacts
    left join {{ ref('int_sales_activities_cycled') }} as activities
        on
            contacts.contact_id = activities.contact_id
            and activities.activity_type = 'sales_rejected'
    group by contacts.contact_id

),

last_cycle_points as (

    select
        matched_events.contact_id,
        sum(
            matched_events.points
            * {{ decay_factor(days_between('matched_events.occurred_at', as_of())) }}
        ) as decayed_points
    from matched_events
    inner join last_cycles
        on
            matched_events.contact_id = last_cycles.contact_id
            and matched_events.cycle_number = last_cycles.last_cycle_number
    group by matched_events.contact_id

),

final as (

    select
        last_cycles.contact_id,
        cast(last_cycles.last_cycle_number as {{ dbt.type_bigint() }}) as last_cycle_number,
        cast(
            {{ capped_engagement_score('coalesce(last_cycle_points.decayed_points, 0)') }}
            as {{ type_double() }}
        ) as engagement_score
    from last_cycles
    left join last_cycle_points
        on last_cycles.contact_id = last_cycle_points.contact_id

)

select * from final
