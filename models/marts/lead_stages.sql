{#- One row per contact not deleted: its attributes, scores, stage timestamps, current stage,
    handoff summary and owner (docs/funnel_rules.md §6), and the CRM's own MQL stamp beside the computed one
    (crm_mql_at, docs/funnel_rules.md §10). The only place "not deleted" is decided: the other
    marts keep the contacts of this one. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not is_deleted

),

fit_scores as (

    select * from {{ ref('int_contacts_fit_scored') }}

),

engagement_scores as (

    select * from {{ ref('int_contacts_engagement_scored') }}

),

stage_timestamps as (

    select * from {{ ref('int_contacts_stages_timestamped') }}

),

current_stages as (

    select * from {{ ref('int_contacts_current_stage_assigned') }}

),

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}

),

activities as (

    select * from {{ ref('int_sales_activities_cycled') }}

),

crm_mql_stamps as (

    select * from {{ ref('stg_crm__crm_mql_stamps') }}

),

ranked_handoffs as (

    select
        contact_id,
        mql_at,
        mql_reason,
        pql_at,
        row_number() over (partition by contact_id order by cycle_number) as handoff_number
    from handoffs

),

handoff_summary as (

    select
        contact_id,
        max(case when handoff_number = 1 then mql_reason end) as first_mql_reason,
        max(mql_at) as last_mql_at,
        count(*) as mql_count,
        min(pql_at) as pql_at
    from ranked_handoffs
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

final as (

    select
        cast(contacts.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(contacts.email_domain as {{ dbt.type_string() }}) as email_domain,
        cast(contacts.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(contacts.country_code as {{ dbt.type_string() }}) as country_code,
        cast(contacts.industry as {{ dbt.type_string() }}) as industry,
        cast(contacts.employee_count as {{ dbt.type_bigint() }}) as employee_count,
        cast(contacts.created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(current_stages.current_stage as {{ dbt.type_string() }}) as current_stage,
        cast(current_stages.current_stage_entered_at as {{ dbt.type_timestamp() }}) as current_stage_entered_at,
        cast(fit_scores.fit_score as {{ type_double() }}) as fit_score,
        cast(fit_scores.fit_grade as {{ dbt.type_string() }}) as fit_grade,
        cast(engagement_scores.engagement_score as {{ type_double() }}) as engagement_score,
        cast(fit_scores.fit_score + engagement_scores.engagement_score as {{ type_double() }}) as total_score,
        cast(stage_timestamps.mql_at as {{ dbt.type_timestamp() }}) as mql_at,
        cast(stage_timestamps.sal_at as {{ dbt.type_timestamp() }}) as sal_at,
        cast(stage_timestamps.sql_at as {{ dbt.type_timestamp() }}) as sql_at,
        cast(stage_timestamps.opportunity_at as {{ dbt.type_timestamp() }}) as opportunity_at,
        cast(stage_timestamps.customer_at as {{ dbt.type_timestamp() }}) as customer_at,
        cast(stage_timestamps.has_inferred_stage as {{ dbt.type_boolean() }}) as has_inferred_stage,
        cast(handoff_summary.first_mql_reason as {{ dbt.type_string() }}) as first_mql_reason,
        cast(handoff_summary.last_mql_at as {{ dbt.type_timestamp() }}) as last_mql_at,
        cast(coalesce(handoff_summary.mql_count, 0) as {{ dbt.type_bigint() }}) as mql_count,
        cast(latest_activities.owner_id as {{ dbt.type_string() }}) as owner_id,
        cast(engagement_scores.product_score as {{ type_double() }}) as product_score,
        cast(handoff_summary.pql_at as {{ dbt.type_timestamp() }}) as pql_at,
        cast(crm_mql_stamps.crm_mql_at as {{ dbt.type_timestamp() }}) as crm_mql_at
    from contacts
    inner join fit_scores
        on contacts.contact_id = fit_scores.contact_id
    inner join engagement_scores
        on contacts.contact_id = engagement_scores.contact_id
    inner join stage_timestamps
        on contacts.contact_id = stage_timestamps.contact_id
    inner join current_stages
        on contacts.contact_id = current_stages.contact_id
    left join handoff_summary
        on contacts.contact_id = handoff_summary.contact_id
    left join latest_activities
        on
            contacts.contact_id = latest_activities.contact_id
            and latest_activities.recency_rank = 1
    left join crm_mql_stamps
        on contacts.contact_id = crm_mql_stamps.contact_id

)

select * from final
