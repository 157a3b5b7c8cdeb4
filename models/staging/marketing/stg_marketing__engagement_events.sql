{#- One row per event_id: the earliest delivery (_loaded_at, null lowest; then the row
    fingerprint) of the usable rows. Only the event ids delivered more than once are ranked: the
    others, nearly all of them, pass through without being sorted (number_where_repeated). The
    parsed rows are checked here (quarantine_checked_select;
    base_marketing__engagement_events_quarantined keeps the others). -#}
-- depends_on: {{ ref('refresh_contact_keys') }}
with

checked_events as {{ not_materialized() }} (

    {{ quarantine_checked_select('engagement_events') }}

),

usable_events as {{ not_materialized() }} (

    select * from checked_events
    where quarantine_reason is null

),

redelivered_event_ids as (

    select event_id
    from usable_events
    group by event_id
    having count(*) > 1

),

ranked_deliveries as (

    {{ number_where_repeated(
        'usable_events', 'redelivered_event_ids', 'event_id',
        'usable_events.event_id',
        'usable_events.loaded_at asc nulls first, usable_events.row_fingerprint asc',
        'delivery_rank') }}

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
