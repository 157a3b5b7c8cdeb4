-- Weekly question: the conversion waterfall of last quarter's cohort (contacts created in the
-- previous calendar quarter before as_of), all sources together, rates as ratios of totals, with
-- the product-qualified leads beside the waterfall.
with

cohorts as (

    select * from {{ ref('funnel_conversion') }}

),

last_quarter as (

    select
        sum(leads) as leads,
        sum(mqls) as mqls,
        sum(sals) as sals,
        sum(sqls) as sqls,
        sum(opportunities) as opportunities,
        sum(customers) as customers,
        sum(pqls) as pqls
    from cohorts
    where
        cohort_month >= cast({{ dbt.dateadd('quarter', -1, dbt.date_trunc('quarter', as_of())) }} as date)
        and cohort_month < cast({{ dbt.date_trunc('quarter', as_of()) }} as date)

),

final as (

    select
        leads,
        mqls,
        sals,
        sqls,
        opportunities,
        customers,
        pqls,
        {{ safe_divide('mqls', 'leads') }} as lead_to_mql_rate,
        {{ safe_divide('sals', 'mqls') }} as mql_to_sal_rate,
        {{ safe_divide('sqls', 'sals') }} as sal_to_sql_rate,
        {{ safe_divide('opportunities', 'sqls') }} as sql_to_opportunity_rate,
        {{ safe_divide('customers', 'opportunities') }} as opportunity_to_customer_rate,
        {{ safe_divide('customers', 'leads') }} as lead_to_customer_rate
    from last_quarter

)

select * from final
