{#- Which campaigns earned each MQL (docs/funnel_rules.md §9): one row per handoff, attribution model and
    campaign, with the touches the model counts for that campaign (0 for `(none)`) and their
    summed credit; per (handoff_id, attribution_model) the credits sum to 1. -#}
with

handoffs as (

    select * from {{ ref('lead_handoffs') }}

),

touch_credits as (

    select * from {{ ref('int_touch_credits_allocated') }}

),

campaign_credits as (

    select
        contact_id,
        cycle_number,
        attribution_model,
        campaign_id,
        count(event_id) as touches,
        sum(credit) as credit
    from touch_credits
    group by contact_id, cycle_number, attribution_model, campaign_id

),

final as (

    select
        cast(handoffs.handoff_id as {{ dbt.type_string() }}) as handoff_id,
        cast(campaign_credits.attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(campaign_credits.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(handoffs.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(handoffs.cycle_number as {{ dbt.type_bigint() }}) as cycle_number,
        cast(handoffs.mql_at as {{ dbt.type_timestamp() }}) as mql_at,
        cast(handoffs.mql_reason as {{ dbt.type_string() }}) as mql_reason,
        cast(campaign_credits.touches as {{ dbt.type_bigint() }}) as touches,
        cast(campaign_credits.credit as {{ type_double() }}) as credit
    from campaign_credits
    inner join handoffs
        on
            campaign_credits.contact_id = handoffs.contact_id
            and campaign_credits.cycle_number = handoffs.cycle_number

)

select * from final
