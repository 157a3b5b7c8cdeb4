{#- Attributed funnel per campaign (docs/funnel_rules.md §9): per campaign, attribution model and UTC month
    of mql_at, the summed credit of the MQLs, of the accepted handoffs (SALs), of the handoffs that
    reached SQL, and of the handoffs that won the customer: a contact's latest handoff with
    mql_at <= its customer_at (latest by mql_at, then cycle_number). -#}
with

attribution as (

    select * from {{ ref('mql_attribution') }}

),

handoffs as (

    select * from {{ ref('lead_handoffs') }}

),

lead_stages as (

    select * from {{ ref('lead_stages') }}

),

customer_handoffs as (

    select
        handoffs.handoff_id,
        row_number() over (
            partition by handoffs.contact_id
            order by handoffs.mql_at desc, handoffs.cycle_number desc
        ) as handoff_rank
    from handoffs
    inner join lead_stages
        on handoffs.contact_id = lead_stages.contact_id
    where handoffs.mql_at <= lead_stages.customer_at

),

credited_handoffs as (

    select
        cast({{ dbt.date_trunc('month', 'attribution.mql_at') }} as date) as mql_month,
        attribution.campaign_id,
        attribution.attribution_model,
        attribution.credit,
        handoffs.outcome = 'accepted' as is_accepted,
        handoffs.sql_at is not null as has_sql,
        customer_handoffs.handoff_id is not null as is_customer_handoff
    from attribution
    inner join handoffs
        on attribution.handoff_id = handoffs.handoff_id
    left join customer_handoffs
        on
            attribution.handoff_id = customer_handoffs.handoff_id
            and customer_handoffs.handoff_rank = 1

),

campaign_months as (

    select
        campaign_id,
        attribution_model,
        mql_month,
        sum(credit) as attributed_mqls,
        sum(case when is_accepted then credit else 0 end) as attributed_sals,
        sum(case when has_sql then credit else 0 end) as attributed_sqls,
        sum(case when is_customer_handoff then credit else 0 end) as attributed_customers
    from credited_handoffs
    group by campaign_id, attribution_model, mql_month

),

final as (

    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(attribution_model as {{ dbt.type_string() }}) as attribution_model,
        cast(mql_month as date) as mql_month,
        cast(attributed_mqls as {{ type_double() }}) as attributed_mqls,
        cast(attributed_sals as {{ type_double() }}) as attributed_sals,
        cast(attributed_sqls as {{ type_double() }}) as attributed_sqls,
        cast(attributed_customers as {{ type_double() }}) as attributed_customers
    from campaign_months

)

select * from final
