{#- Account cohorts (docs/funnel_rules.md §8): accounts by the UTC month of their earliest contact
    created_at, the accounts that reached MQA, opportunity and customer, and the account rates
    as ratios of totals (null when the denominator is 0). -#}
with

account_stages as (

    select * from {{ ref('account_stages') }}

),

account_cohorts as (

    select
        account_domain,
        min(created_at) as first_created_at
    from {{ ref('int_contacts_roles_assigned') }}
    where account_domain is not null
    group by account_domain

),

cohorted as (

    select
        cast({{ dbt.date_trunc('month', 'account_cohorts.first_created_at') }} as date) as cohort_month,
        account_stages.mqa_at,
        account_stages.opportunity_at,
        account_stages.customer_at
    from account_stages
    inner join account_cohorts
        on account_stages.account_domain = account_cohorts.account_domain

),

cohort_totals as (

    select
        cohort_month,
        count(*) as accounts,  -- noqa: RF04
        count(mqa_at) as mqas,
        count(opportunity_at) as opportunities,
        count(customer_at) as customers,
        count(case when mqa_at is not null and opportunity_at is not null then 1 end) as mqa_opportunities,
        count(case when mqa_at is not null and customer_at is not null then 1 end) as mqa_customers
    from cohorted
    group by cohort_month

),

final as (

    select
        cast(cohort_month as date) as cohort_month,
        cast(accounts as {{ dbt.type_bigint() }}) as accounts,  -- noqa: RF04
        cast(mqas as {{ dbt.type_bigint() }}) as mqas,
        cast(opportunities as {{ dbt.type_bigint() }}) as opportunities,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast({{ safe_divide('mqas', 'accounts') }} as {{ type_double() }}) as account_to_mqa_rate,
        cast({{ safe_divide('mqa_opportunities', 'mqas') }} as {{ type_double() }}) as mqa_to_opportunity_rate,
        cast({{ safe_divide('mqa_customers', 'mqas') }} as {{ type_double() }}) as mqa_to_customer_rate
    from cohort_totals

)

select * from final
