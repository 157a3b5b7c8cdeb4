{#- One row per event_id: the earliest delivery (_loaded_at, null lowest) of the usable rows. -#}
with

usable_events as (

    select * from {{ ref('base_marketing__engagement_events_screened') }}
    where quarantine_reason is null and {{ refresh_filter('contact_id') }}

),

ranked_deliveries as (

    select
        *,
        row_number() over (
            partition by event_id
            order by loaded_at asc nulls first, row_fingerprint asc
        ) as delivery_rank
    from usable_events

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
