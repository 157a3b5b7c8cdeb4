{#- One row per event_id: the earliest delivery (_loaded_at, null lowest; then the row
    fingerprint) of the usable rows. Only the event ids delivered more than once are ranked: the
    others, nearly all of them, pass through without being sorted (joins, not `in (select ...)`,
    which PostgreSQL may run as a scan of the subquery per row). -#}
with

usable_events as {{ not_materialized() }} (

    select * from {{ ref('base_marketing__engagement_events_screened') }}
    where quarantine_reason is null and {{ refresh_filter('contact_id') }}

),

redelivered_event_ids as (

    select event_id
    from usable_events
    group by event_id
    having count(*) > 1

),

ranked_deliveries as (

    select
        usable_events.*,
        cast(1 as {{ dbt.type_bigint() }}) as delivery_rank
    from usable_events
    left join redelivered_event_ids
        on usable_events.event_id = redelivered_event_ids.event_id
    where redelivered_event_ids.event_id is null
    union all
    select
        usable_events.*,
        row_number() over (
            partition by usable_events.event_id
            order by usable_events.loaded_at asc nulls first, usable_events.row_fingerprint asc
        ) as delivery_rank
    from usable_events
    inner join redelivered_event_ids
        on usable_events.event_id = redelivered_event_ids.event_id

),

final as (

    select
        event_id,
        contact_id,
        event_type,
        page_url,
        campaign_id,
        occurred_at,
        loaded_at
    from ranked_deliveries
    where delivery_rank = 1

)

select * from final
