{#- The sales milestones of every staged contact (docs/funnel_rules.md §5), each defined here and
    nowhere else: the first acceptance (sales_accepted or qualification), the first SQL-making
    qualification, the first disqualification (and its activity), the first deal created, the
    first deal still open, the last deal lost and the first deal won. Null when the contact has
    none. The MQL moments (a disqualification ends the MQLs), the stage timestamps, the current
    stage and the stage entries read them from here. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

activities as (

    select * from {{ ref('int_sales_activities_cycled') }}
    where {{ refresh_filter('contact_id') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where {{ refresh_filter('contact_id') }}

),

activity_milestones as (

    select
        contact_id,
        min(case when is_acceptance then occurred_at end) as first_accepted_at,
        min(case when is_sql_qualification then occurred_at end) as first_sql_qualified_at
    from activities
    group by contact_id

),

ranked_disqualifications as (

    select
        contact_id,
        activity_id,
        occurred_at,
        row_number() over (partition by contact_id order by occurred_at, activity_id) as disqualification_rank
    from activities
    where is_disqualification

),

first_disqualifications as (

    select
        contact_id,
        activity_id as first_disqualification_activity_id,
        occurred_at as first_disqualified_at
    from ranked_disqualifications
    where disqualification_rank = 1

),

deal_milestones as (

    select
        contact_id,
        min(created_at) as first_opportunity_at,
        min(case when not is_closed then created_at end) as first_open_opportunity_at,
        max(case when is_closed and not is_won then closed_at end) as last_lost_at,
        min(case when is_won then closed_at end) as first_won_at
    from opportunities
    group by contact_id

),

final as (

    select
        contacts.contact_id,
        activity_milestones.first_accepted_at,
        activity_milestones.first_sql_qualified_at,
        first_disqualifications.first_disqualified_at,
        first_disqualifications.first_disqualification_activity_id,
        deal_milestones.first_opportunity_at,
        deal_milestones.first_open_opportunity_at,
        deal_milestones.last_lost_at,
        deal_milestones.first_won_at
    from contacts
    left join activity_milestones
        on contacts.contact_id = activity_milestones.contact_id
    left join first_disqualifications
        on contacts.contact_id = first_disqualifications.contact_id
    left join deal_milestones
        on contacts.contact_id = deal_milestones.contact_id

)

select * from final
