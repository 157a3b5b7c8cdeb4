{#- The MQA moment of every account that has one (docs/funnel_rules.md §8): the earliest handoff mql_at
    m of the account such that the account's handoffs with mql_at in the closed interval
    [m - mqa_window_days days, m] come from at least mqa_min_contacts distinct contacts. Every
    cycle's handoff counts; a contact re-MQL'd counts once.
    Computed in one ordered pass per account, not by comparing every pair of handoffs: a contact
    is in the window of m when one of its handoffs h has h <= m <= h + W (W = mqa_window_days).
    A run of the contact's handoffs less than W apart keeps it in from the run's first handoff to
    W after its last; so the distinct contacts at m = the runs started at or before m minus the
    runs ended before m, a running sum over the account's run starts (+1), candidates (0) and
    run ends (-1) in time order, a start before a candidate before an end at the same instant. -#}
{%- set window_seconds = (var('mqa_window_days') | float) * 86400 -%}
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
        handoffs.mql_at,
        {{ epoch_seconds('handoffs.mql_at') }} as mql_epoch_seconds
    from handoffs
    inner join account_contacts
        on handoffs.contact_id = account_contacts.contact_id

),

contact_handoffs_ordered as (

    select
        *,
        lag(mql_at) over (
            partition by account_domain, contact_id order by mql_at
        ) as previous_mql_at,
        lead(mql_at) over (
            partition by account_domain, contact_id order by mql_at
        ) as next_mql_at
    from account_handoffs

),

window_events as (

    select
        account_domain,
        mql_epoch_seconds as event_seconds,
        0 as event_order,
        1 as contact_change,
        cast(null as {{ dbt.type_timestamp() }}) as candidate_at
    from contact_handoffs_ordered
    where
        previous_mql_at is null
        or {{ days_between('previous_mql_at', 'mql_at') }} > {{ var('mqa_window_days') }}
    union all
    select
        account_domain,
        mql_epoch_seconds as event_seconds,
        1 as event_order,
        0 as contact_change,
        mql_at as candidate_at
    from account_handoffs
    union all
    select
        account_domain,
        mql_epoch_seconds + {{ window_seconds }} as event_seconds,
        2 as event_order,
        -1 as contact_change,
        cast(null as {{ dbt.type_timestamp() }}) as candidate_at
    from contact_handoffs_ordered
    where
        next_mql_at is null
        or {{ days_between('mql_at', 'next_mql_at') }} > {{ var('mqa_window_days') }}

),

window_contacts as (

    select
        account_domain,
        candidate_at,
        sum(contact_change) over (
            partition by account_domain
            order by event_seconds, event_order
            rows between unbounded preceding and current row
        ) as window_contacts
    from window_events

),

final as (

    select
        account_domain,
        min(candidate_at) as mqa_at
    from window_contacts
    where
        candidate_at is not null
        and window_contacts >= {{ var('mqa_min_contacts') }}
    group by account_domain

)

select * from final
