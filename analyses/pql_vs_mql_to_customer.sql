-- Does the product path convert better? Contacts whose first MQL came from product usage (a
-- PQL) against those qualified by score or hand-raise: how many became customers, and how fast.
with

lead_stages as (

    select * from {{ ref('lead_stages') }}

),

qualified_leads as (

    select
        first_mql_reason as qualification_path,
        contact_id,
        customer_at,
        {{ days_between('mql_at', 'customer_at') }} as days_mql_to_customer
    from lead_stages
    where first_mql_reason is not null

),

final as (

    select
        qualification_path,
        count(*) as mqls,
        count(customer_at) as customers,
        {{ safe_divide('count(customer_at)', 'count(*)') }} as mql_to_customer_rate,
        {{ median('days_mql_to_customer') }} as median_days_mql_to_customer
    from qualified_leads
    group by qualification_path

)

select * from final
