-- Weekly question: how fast does sales pick up MQLs? Median hours from MQL to acceptance, by
-- month of the MQL.
with

handoffs as (

    select * from {{ ref('lead_handoffs') }}
    where outcome = 'accepted'

),

final as (

    select
        cast({{ dbt.date_trunc('month', 'mql_at') }} as date) as mql_month,
        count(*) as accepted_handoffs,
        {{ median('response_hours') }} as median_hours_mql_to_sal
    from handoffs
    group by cast({{ dbt.date_trunc('month', 'mql_at') }} as date)

)

select * from final
order by mql_month
