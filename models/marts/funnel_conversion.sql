{#- Cohort conversion: contacts created in a UTC month, by lead source, that ever reached each
    stage (contact-level, inferred timestamps), rates as ratios of totals, continuous medians. -#}
with

lead_stages as (

    select * from {{ ref('lead_stages') }}

),

cohorted as (

    select
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as cohort_month,
        lead_source,
        contact_id,
        mql_at,
        sal_at,
        sql_at,
        opportunity_at,
        customer_at,
        pql_at,
        {{ days_between('created_at', 'mql_at') }} as days_lead_to_mql,
        {{ hours_between('mql_at', 'sal_at') }} as hours_mql_to_sal,
        {{ days_between('mql_at', 'customer_at') }} as days_mql_to_customer
    from lead_stages

),

cohort_totals as (

    select
        cohort_month,
        lead_source,
        count(*) as leads,
        count(mql_at) as mqls,
        count(sal_at) as sals,
        count(sql_at) as sqls,
        count(opportunity_at) as opportunities,
        count(customer_at) as customers,
        count(pql_at) as pqls,
        count(case when pql_at is not null and customer_at is not null then 1 end) as pql_customers,
        {{ median('days_lead_to_mql') }} as median_days_lead_to_mql,
        {{ median('hours_mql_to_sal') }} as median_hours_mql_to_sal,
        {{ median('days_mql_to_customer') }} as median_days_mql_to_customer
    from cohorted
    group by cohort_month, lead_source

),

final as (

    select
        cast(cohort_month as date) as cohort_month,
        cast(lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(leads as {{ dbt.type_bigint() }}) as leads,
        cast(mqls as {{ dbt.type_bigint() }}) as mqls,
        cast(sals as {{ dbt.type_bigint() }}) as sals,
        cast(sqls as {{ dbt.type_bigint() }}) as sqls,
        cast(opportunities as {{ dbt.type_bigint() }}) as opportunities,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast({{ safe_divide('mqls', 'leads') }} as {{ type_double() }}) as lead_to_mql_rate,
        cast({{ safe_divide('sals', 'mqls') }} as {{ type_double() }}) as mql_to_sal_rate,
        cast({{ safe_divide('sqls', 'sals') }} as {{ type_double() }}) as sal_to_sql_rate,
        cast({{ safe_divide('opportunities', 'sqls') }} as {{ type_double() }}) as sql_to_opportunity_rate,
        cast({{ safe_divide('customers', 'opportunities') }} as {{ type_double() }}) as opportunity_to_customer_rate,
        cast({{ safe_divide('customers', 'leads') }} as {{ type_double() }}) as lead_to_customer_rate,
        cast(pqls as {{ dbt.type_bigint() }}) as pqls,
        cast({{ safe_divide('pql_customers', 'pqls') }} as {{ type_double() }}) as pql_to_customer_rate,
        cast(median_days_lead_to_mql as {{ type_double() }}) as median_days_lead_to_mql,
        cast(median_hours_mql_to_sal as {{ type_double() }}) as median_hours_mql_to_sal,
        cast(median_days_mql_to_customer as {{ type_double() }}) as median_days_mql_to_customer
    from cohort_totals

)

select * from final
