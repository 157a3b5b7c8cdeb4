-- Weekly question: how many MQLs did sales accept or reject, by lead source, and why rejected?
with

handoffs as (

    select * from {{ ref('lead_handoffs') }}

),

lead_stages as (

    select * from {{ ref('lead_stages') }}

),

handoffs_with_source as (

    select
        handoffs.outcome,
        handoffs.rejection_reason,
        lead_stages.lead_source
    from handoffs
    inner join lead_stages
        on handoffs.contact_id = lead_stages.contact_id

),

final as (

    select
        lead_source,
        count(*) as mqls,
        count(case when outcome = 'accepted' then 1 end) as accepted,
        count(case when outcome = 'rejected' then 1 end) as rejected,
        count(case when outcome = 'pending' then 1 end) as pending,
        {{ safe_divide("count(case when outcome = 'accepted' then 1 end)",
            "count(case when outcome <> 'pending' then 1 end)") }} as acceptance_rate,
        count(case when rejection_reason = 'bad_fit' then 1 end) as rejected_bad_fit,
        count(case when rejection_reason = 'no_budget' then 1 end) as rejected_no_budget,
        count(case when rejection_reason = 'bad_timing' then 1 end) as rejected_bad_timing,
        count(case when rejection_reason = 'not_reachable' then 1 end) as rejected_not_reachable
    from handoffs_with_source
    group by lead_source

)

select * from final
order by mqls desc
