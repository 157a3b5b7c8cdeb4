{#- One row per account (docs/funnel_rules.md §8): a distinct business email domain among the contacts of
    lead_stages, its contacts by buying role, its MQL contacts, MQA moment, earliest opportunity
    and customer times of its contacts, and its current stage. -#}
with

lead_stages as (

    select * from {{ ref('lead_stages') }}

),

contact_roles as (

    select * from {{ ref('int_contacts_roles_assigned') }}
    where account_domain is not null

),

handoff_contacts as (

    select
        contact_id,
        min(mql_at) as first_mql_at
    from {{ ref('lead_handoffs') }}
    group by contact_id

),

mqa_moments as (

    select * from {{ ref('int_accounts_mqa_identified') }}

),

account_contacts as (

    select
        contact_roles.account_domain,
        contact_roles.contact_id,
        contact_roles.buying_role,
        handoff_contacts.first_mql_at,
        lead_stages.opportunity_at,
        lead_stages.customer_at,
        lead_stages.current_stage,
        lead_stages.fit_score,
        lead_stages.engagement_score
    from contact_roles
    inner join lead_stages
        on contact_roles.contact_id = lead_stages.contact_id
    left join handoff_contacts
        on contact_roles.contact_id = handoff_contacts.contact_id

),

accounts as (

    select
        account_domain,
        count(*) as contacts,
        count(case when buying_role = 'decision_maker' then 1 end) as decision_makers,
        count(case when buying_role = 'influencer' then 1 end) as influencers,
        count(case when buying_role = 'member' then 1 end) as members,
        count(first_mql_at) as mql_contacts,
        min(first_mql_at) as first_mql_at,
        min(opportunity_at) as opportunity_at,
        min(customer_at) as customer_at,
        count(case when current_stage = 'opportunity' then 1 end) > 0 as has_opportunity_contact,
        count(case when engagement_score > 0 then 1 end) > 0 as has_engaged_contact,
        max(fit_score) as max_fit_score,
        sum(engagement_score) as total_engagement_score,
        count(case when buying_role = 'decision_maker' and first_mql_at is not null then 1 end) > 0
            as has_decision_maker_mql
    from account_contacts
    group by account_domain

),

staged as (

    select
        accounts.*,
        mqa_moments.mqa_at,
        case
            when accounts.customer_at is not null then 'customer'
            when accounts.has_opportunity_contact then 'opportunity'
            when mqa_moments.mqa_at is not null then 'mqa'
            when accounts.has_engaged_contact then 'engaged'
            else 'known'
        end as current_stage
    from accounts
    left join mqa_moments
        on accounts.account_domain = mqa_moments.account_domain

),

final as (

    select
        cast(account_domain as {{ dbt.type_string() }}) as account_domain,
        cast(contacts as {{ dbt.type_bigint() }}) as contacts,
        cast(decision_makers as {{ dbt.type_bigint() }}) as decision_makers,
        cast(influencers as {{ dbt.type_bigint() }}) as influencers,
        cast(members as {{ dbt.type_bigint() }}) as members,
        cast(mql_contacts as {{ dbt.type_bigint() }}) as mql_contacts,
        cast(first_mql_at as {{ dbt.type_timestamp() }}) as first_mql_at,
        cast(mqa_at as {{ dbt.type_timestamp() }}) as mqa_at,
        cast(opportunity_at as {{ dbt.type_timestamp() }}) as opportunity_at,
        cast(customer_at as {{ dbt.type_timestamp() }}) as customer_at,
        cast(current_stage as {{ dbt.type_string() }}) as current_stage,
        cast(max_fit_score as {{ type_double() }}) as max_fit_score,
        cast(total_engagement_score as {{ type_double() }}) as total_engagement_score,
        cast(has_decision_maker_mql as {{ dbt.type_boolean() }}) as has_decision_maker_mql
    from staged

)

select * from final
