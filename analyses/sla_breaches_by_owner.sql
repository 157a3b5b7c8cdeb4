-- Weekly question: which sales owners let handoffs breach the response SLA?
-- Pending handoffs have no owner yet and show up under '(unassigned)'.
with

handoffs as (

    select * from {{ ref('lead_handoffs') }}

),

final as (

    select
        coalesce(owner_id, '(unassigned)') as owner_id,
        count(*) as handoffs,
        count(case when within_sla = false then 1 end) as sla_breaches,
        {{ safe_divide("count(case when within_sla = false then 1 end)",
            "count(within_sla)") }} as breach_rate,
        {{ median('response_hours') }} as median_response_hours
    from handoffs
    group by coalesce(owner_id, '(unassigned)')

)

select * from final
order by sla_breaches desc
