{#- docs/funnel_rules.md §10 (Salesforce): the raw sales_activities table (§2).
    - Lead statuses (salesforce__lead_statuses) the status mapping gives an activity_type: that
      activity, with the seed's rejection_reason, all four BANT fields confirmed when the seed's
      bant_confirmed is true, the lead's owner_id.
    - A lead's conversion (converted_date, a Date: midnight UTC) as a qualification (no BANT
      confirmed; id `<lead id>:converted`, the lead's owner_id) when none of its statuses gave one.
    - Tasks and events (not deleted) on a lead or contact (who_id; its person from
      salesforce__person_ids; no who_id: not a person's activity, left out) at their created_date,
      owner_id theirs: an event is a meeting; a task is an email when its task_subtype is Email or
      ListEmail or, its subtype blank or Task, its type is Email; a call otherwise. -#}
{{ require_valid_scoring_rules() }}

with

leads as (

    select * from {{ ref('base_salesforce__leads') }}

),

tasks as (

    select * from {{ ref('base_salesforce__tasks') }}

),

calendar_events as (

    select * from {{ ref('base_salesforce__events') }}

),

lead_statuses as (

    select * from {{ ref('salesforce__lead_statuses') }}

),

person_ids as (

    select * from {{ ref('salesforce__person_ids') }}

),

status_activities as (

    select
        activity_id,
        lead_id as contact_id,
        owner_id,
        activity_type,
        rejection_reason,
        case when bant_confirmed then 'true' end as bant_text,
        occurred_at,
        loaded_at
    from lead_statuses
    where activity_type is not null

),

conversions as (

    select
        {{ dbt.concat(['leads.lead_id', "':converted'"]) }} as activity_id,
        leads.lead_id as contact_id,
        leads.owner_id,
        'qualification' as activity_type,
        cast(null as {{ dbt.type_string() }}) as rejection_reason,
        cast(null as {{ dbt.type_string() }}) as bant_text,
        leads.converted_date as occurred_at,
        leads._fivetran_synced as loaded_at
    from leads
    where leads.lead_id is not null
        and leads.converted_date is not null
        and not exists (
            select 1 from status_activities
            where status_activities.contact_id = leads.lead_id
                and lower(status_activities.activity_type) = 'qualification'
        )

),

logged_activities as (

    select
        task_id as activity_id,
        who_id,
        owner_id,
        case
            when lower(task_subtype) in ('email', 'listemail') then 'email'
            when lower(coalesce(task_subtype, 'task')) = 'task' and lower(task_type) = 'email' then 'email'
            else 'call'
        end as activity_type,
        created_date as occurred_at,
        _fivetran_synced as loaded_at
    from tasks
    where who_id is not null and not {{ parse_boolean('is_deleted') }}
    union all
    select
        event_id as activity_id,
        who_id,
        owner_id,
        'meeting' as activity_type,
        created_date as occurred_at,
        _fivetran_synced as loaded_at
    from calendar_events
    where who_id is not null and not {{ parse_boolean('is_deleted') }}

),

person_activities as (

    select
        logged_activities.activity_id,
        coalesce(person_ids.contact_id, logged_activities.who_id) as contact_id,
        logged_activities.owner_id,
        logged_activities.activity_type,
        cast(null as {{ dbt.type_string() }}) as rejection_reason,
        cast(null as {{ dbt.type_string() }}) as bant_text,
        logged_activities.occurred_at,
        logged_activities.loaded_at
    from logged_activities
    left join person_ids
        on logged_activities.who_id = person_ids.record_id

),

activities as (

    select * from status_activities
    union all
    select * from conversions
    union all
    select * from person_activities

),

final as (

    select
        activity_id,
        contact_id,
        owner_id,
        activity_type,
        rejection_reason,
        bant_text as budget_confirmed,
        bant_text as authority_confirmed,
        bant_text as need_confirmed,
        bant_text as timeline_confirmed,
        occurred_at,
        loaded_at as _loaded_at
    from activities

)

select * from final
