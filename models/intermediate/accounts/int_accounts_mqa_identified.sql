{#- The MQA moment of every account that has one (docs/funnel_rules.md §8): the earliest handoff mql_at
    m of the account such that the account's handoffs with mql_at in the closed interval
    [m - mqa_window_days days, m] come from at least mqa_min_contacts distinct contacts. Every
    cycle's handoff counts; a contact re-MQL'd counts once. -#}
with

account_contacts as (

    select
        contact_id,
        account_domain
    from {{ ref('int_contacts_roles_assigned') }}
    where account_domain is not null

),

handoffs as (

    select * from {{ ref('int_handoffs_sla_checked') }}

),

account_handoffs as (

    select
        account_contacts.account_domain,
        handoffs.contact_id,
        handoffs.mql_at
    from handoffs
    inner join account_contacts
        on handoffs.contact_id = account_contacts.contact_id

),

window_contacts as (

    select
        candidates.account_domain,
        candidates.mql_at as candidate_at,
        count(distinct window_handoffs.contact_id) as window_contacts
    from account_handoffs as candidates
    inner join account_handoffs as window_handoffs
        on
            candidates.account_domain = window_handoffs.account_domain
            and candidates.mql_at >= window_handoffs.mql_at
            and {{ days_between('window_handoffs.mql_at', 'candidates.mql_at') }} <= {{ var('mqa_window_days') }}
    group by candidates.account_domain, candidates.mql_at

),

final as (

    select
        account_domain,
        min(candidate_at) as mqa_at
    from window_contacts
    where window_contacts >= {{ var('mqa_min_contacts') }}
    group by account_domain

)

select * from final
