{#- The credit of every touch a model counts, per handoff and attribution model (docs/funnel_rules.md
    §9), and credit 1 to campaign `(none)` for a handoff the model finds no touch for. -#}
with

touches as (

    select * from {{ ref('int_campaign_touches_ordered') }}

),

mql_moments as (

    select
        contact_id,
        cycle_number
    from {{ ref('int_mql_moments_identified') }}

),

attribution_models as (

    {% for attribution_model in attribution_models() %}
        select '{{ attribution_model }}' as attribution_model
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

touch_credits as (

    select
        contact_id,
        cycle_number,
        'first_touch' as attribution_model,
        campaign_id,
        event_id,
        1.0 as credit
    from touches
    where touch_number = 1

    union all

    select
        contact_id,
        cycle_number,
        'last_touch' as attribution_model,
        campaign_id,
        event_id,
        1.0 as credit
    from touches
    where touch_number = touch_count

    union all

    select
        contact_id,
        cycle_number,
        'linear' as attribution_model,
        campaign_id,
        event_id,
        cast(1 as {{ type_double() }}) / touch_count as credit
    from touches

    union all

    select
        contact_id,
        cycle_number,
        'position_based' as attribution_model,
        campaign_id,
        event_id,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_number = 1 or touch_number = touch_count then 0.4
            else cast(0.2 as {{ type_double() }}) / (touch_count - 2)
        end as credit
    from touches

    union all

    select
        contact_id,
        cycle_number,
        'tipping_point' as attribution_model,
        campaign_id,
        event_id,
        cast(1 as {{ type_double() }}) / touches_at_mql_moment as credit
    from touches
    where is_at_mql_moment

),

credited_handoffs as (

    select distinct
        contact_id,
        cycle_number,
        attribution_model
    from touch_credits

),

untouched_handoffs as (

    select
        mql_moments.contact_id,
        mql_moments.cycle_number,
        attribution_models.attribution_model,
        '(none)' as campaign_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        1.0 as credit
    from mql_moments
    cross join attribution_models
    left join credited_handoffs
        on
            mql_moments.contact_id = credited_handoffs.contact_id
            and mql_moments.cycle_number = credited_handoffs.cycle_number
            and attribution_models.attribution_model = credited_handoffs.attribution_model
    where credited_handoffs.contact_id is null

),

credits as (

    select * from touch_credits
    union all
    select * from untouched_handoffs

),

final as (

    select
        contact_id,
        cast(cycle_number as {{ dbt.type_bigint() }}) as cycle_number,
        cast(attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(credit as {{ type_double() }}) as credit
    from credits

)

select * from final
