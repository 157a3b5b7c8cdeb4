{#- Contact-level funnel state (SPEC §5): first time each stage (or a later one) was reached,
    with earlier stages inferred when the CRM skipped them, and the current stage by rules 1-6. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

fit_scores as (

    select * from {{ ref('int_contacts_fit_scored') }}

),

engagement_scores as (

    select * from {{ ref('int_contacts_engagement_scored') }}

),

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}

),

activities as (

    select * from {{ ref('int_sales_activities_cycled') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

handoff_summary as (

    select
        contact_id,
        min(mql_at) as actual_mql_at,
        max(mql_at) as last_mql_at,
        count(*) as mql_count,
        min(cycle_number) as first_mql_cycle_number
    from handoffs
    group by contact_id

),

activity_summary as (

    select
        contact_id,
        min(case when activity_type in ('sales_accepted', 'qualification') then occurred_at end)
            as actual_sal_at,
        min(case when activity_type = 'qualification' and has_enough_bant then occurred_at end)
            as actual_sql_at,
        min(case when activity_type = 'disqualified' then occurred_at end) as first_disqualified_at,
        max(case when activity_type = 'sales_rejected' then occurred_at end) as last_rejected_at
    from activities
    group by contact_id

),

latest_activities as (

    select
        contact_id,
        owner_id,
        row_number() over (
            partition by contact_id
            order by occurred_at desc, activity_id desc
        ) as recency_rank
    from activities

),

opportunity_summary as (

    select
        contact_id,
        min(created_at) as actual_opportunity_at,
        min(case when is_won then closed_at end) as actual_customer_at,
        min(case when not is_closed then created_at end) as first_open_opportunity_at,
        max(case when is_closed and not is_won then closed_at end) as last_lost_at
    from opportunities
    group by contact_id

),

last_cycle_activity as (

    select
        activities.contact_id,
        min(
            case
                when activities.activity_type = 'qualification' and activities.has_enough_bant
                    then activities.occurred_at
            end
        ) as last_cycle_sql_reached_at,
        min(
            case
                when activities.activity_type in ('sales_accepted', 'qualification')
                    then activities.occurred_at
            end
        ) as last_cycle_sal_reached_at
    from activities
    inner join engagement_scores
        on
            activities.contact_id = engagement_scores.contact_id
            and activities.cycle_number = engagement_scores.last_cycle_number
    left join opportunity_summary
        on activities.contact_id = opportunity_summary.contact_id
    where
        opportunity_summary.last_lost_at is null
        or activities.occurred_at > opportunity_summary.last_lost_at
    group by activities.contact_id

),

last_cycle_mql as (

    select
        handoffs.contact_id,
        handoffs.mql_at as last_cycle_mql_at
    from handoffs
    inner join engagement_scores
        on
            handoffs.contact_id = engagement_scores.contact_id
            and handoffs.cycle_number = engagement_scores.last_cycle_number
    left join opportunity_summary
        on handoffs.contact_id = opportunity_summary.contact_id
    where
        opportunity_summary.last_lost_at is null
        or handoffs.mql_at > opportunity_summary.last_lost_at

),

actual_stages as (

    select
        contacts.contact_id,
        contacts.created_at,
        contacts.is_deleted,
        handoff_summary.actual_mql_at,
        activity_summary.actual_sal_at,
        activity_summary.actual_sql_at,
        opportunity_summary.actual_opportunity_at,
        opportunity_summary.actual_customer_at
    from contacts
    left join handoff_summary
        on contacts.contact_id = handoff_summary.contact_id
    left join activity_summary
        on contacts.contact_id = activity_summary.contact_id
    left join opportunity_summary
        on contacts.contact_id = opportunity_summary.contact_id

),

customer_inferred as (

    select
        *,
        actual_customer_at as customer_at,
        {{ least_not_null(['actual_opportunity_at', 'actual_customer_at']) }} as opportunity_at
    from actual_stages

),

sql_inferred as (

    select
        *,
        {{ least_not_null(['actual_sql_at', 'opportunity_at']) }} as sql_at
    from customer_inferred

),

sal_inferred as (

    select
        *,
        {{ least_not_null(['actual_sal_at', 'sql_at']) }} as sal_at
    from sql_inferred

),

inferred_stages as (

    select
        *,
        {{ least_not_null(['actual_mql_at', 'sal_at']) }} as mql_at
    from sal_inferred

),

current_stages as (

    select
        inferred_stages.*,
        case
            when inferred_stages.customer_at is not null then 'customer'
            when activity_summary.first_disqualified_at is not null then 'disqualified'
            when opportunity_summary.first_open_opportunity_at is not null then 'opportunity'
            when last_cycle_activity.last_cycle_sql_reached_at is not null then 'sql'
            when last_cycle_activity.last_cycle_sal_reached_at is not null then 'sal'
            when last_cycle_mql.last_cycle_mql_at is not null then 'mql'
            when
                opportunity_summary.last_lost_at is not null
                or activity_summary.last_rejected_at is not null
                then 'recycled'
            else 'lead'
        end as current_stage,
        case
            when inferred_stages.customer_at is not null then inferred_stages.customer_at
            when activity_summary.first_disqualified_at is not null
                then activity_summary.first_disqualified_at
            when opportunity_summary.first_open_opportunity_at is not null
                then opportunity_summary.first_open_opportunity_at
            when last_cycle_activity.last_cycle_sql_reached_at is not null
                then last_cycle_activity.last_cycle_sql_reached_at
            when last_cycle_activity.last_cycle_sal_reached_at is not null
                then last_cycle_activity.last_cycle_sal_reached_at
            when last_cycle_mql.last_cycle_mql_at is not null then last_cycle_mql.last_cycle_mql_at
            when
                opportunity_summary.last_lost_at is not null
                or activity_summary.last_rejected_at is not null
                then {{ greatest_not_null(['opportunity_summary.last_lost_at', 'activity_summary.last_rejected_at']) }}
            else inferred_stages.created_at
        end as current_stage_entered_at
    from inferred_stages
    left join activity_summary
        on inferred_stages.contact_id = activity_summary.contact_id
    left join opportunity_summary
        on inferred_stages.contact_id = opportunity_summary.contact_id
    left join last_cycle_activity
        on inferred_stages.contact_id = last_cycle_activity.contact_id
    left join last_cycle_mql
        on inferred_stages.contact_id = last_cycle_mql.contact_id

),

final as (

    select
        current_stages.contact_id,
        contacts.email_domain,
        contacts.lead_source,
        contacts.country_code,
        contacts.industry,
        contacts.employee_count,
        contacts.created_at,
        contacts.is_deleted,
        current_stages.current_stage,
        current_stages.current_stage_entered_at,
        fit_scores.fit_score,
        fit_scores.fit_grade,
        engagement_scores.engagement_score,
        engagement_scores.last_cycle_number,
        current_stages.mql_at,
        current_stages.sal_at,
        current_stages.sql_at,
        current_stages.opportunity_at,
        current_stages.customer_at,
        current_stages.actual_mql_at,
        current_stages.actual_sal_at,
        current_stages.actual_sql_at,
        current_stages.actual_opportunity_at,
        current_stages.actual_customer_at,
        first_handoffs.mql_reason as first_mql_reason,
        handoff_summary.last_mql_at,
        latest_activities.owner_id,
        fit_scores.fit_score + engagement_scores.engagement_score as total_score,
        (
            (current_stages.mql_at is not null and current_stages.actual_mql_at is null)
            or (current_stages.sal_at is not null and current_stages.actual_sal_at is null)
            or (current_stages.sql_at is not null and current_stages.actual_sql_at is null)
            or (current_stages.opportunity_at is not null and current_stages.actual_opportunity_at is null)
            or coalesce(current_stages.mql_at < current_stages.actual_mql_at, false)
            or coalesce(current_stages.sal_at < current_stages.actual_sal_at, false)
            or coalesce(current_stages.sql_at < current_stages.actual_sql_at, false)
            or coalesce(current_stages.opportunity_at < current_stages.actual_opportunity_at, false)
        ) as has_inferred_stage,
        coalesce(handoff_summary.mql_count, 0) as mql_count
    from current_stages
    inner join contacts
        on current_stages.contact_id = contacts.contact_id
    inner join fit_scores
        on current_stages.contact_id = fit_scores.contact_id
    inner join engagement_scores
        on current_stages.contact_id = engagement_scores.contact_id
    left join handoff_summary
        on current_stages.contact_id = handoff_summary.contact_id
    left join handoffs as first_handoffs
        on
            handoff_summary.contact_id = first_handoffs.contact_id
            and handoff_summary.first_mql_cycle_number = first_handoffs.cycle_number
    left join latest_activities
        on
            current_stages.contact_id = latest_activities.contact_id
            and latest_activities.recency_rank = 1

)

select * from final
