{#- The current stage of every staged contact and when it was entered (docs/funnel_rules.md §5 rules 1-6). Each
    rule's entry time is computed on its own (null when the rule does not apply); the first rule
    in `stage_priority` that applies gives the stage and its entry time:
    1 customer (customer_at); 2 disqualified (earliest disqualified activity); 3 opportunity
    (earliest open deal's created_at); 4 sql / sal / mql: in the last cycle, after the latest
    lost deal's close L, the earliest SQL-making qualification, else acceptance, else the cycle's
    mql_at; 5 recycled (greatest of L and the latest sales_rejected); 6 lead (created_at). -#}
{%- set stage_priority = ['customer', 'disqualified', 'opportunity', 'sql', 'sal', 'mql', 'recycled', 'lead'] -%}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

cycles as (

    select * from {{ ref('int_contacts_cycles_counted') }}
    where {{ refresh_filter('contact_id') }}

),

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}
    where {{ refresh_filter('contact_id') }}

),

activities as (

    select * from {{ ref('int_sales_activities_cycled') }}
    where {{ refresh_filter('contact_id') }}

),

milestones as (

    select * from {{ ref('int_contacts_sales_milestones_dated') }}
    where {{ refresh_filter('contact_id') }}

),

funnel_steps as (

    -- Rule 4's candidates: every step that can make a contact sql, sal or mql, with its cycle.
    select
        contact_id,
        cycle_number,
        occurred_at as reached_at,
        is_sql_qualification as reaches_sql,
        true as reaches_sal,
        false as reaches_mql
    from activities
    where is_acceptance
    union all
    select
        contact_id,
        cycle_number,
        mql_at as reached_at,
        false as reaches_sql,
        false as reaches_sal,
        true as reaches_mql
    from handoffs

),

last_cycle_steps as (

    select
        funnel_steps.contact_id,
        min(case when funnel_steps.reaches_sql then funnel_steps.reached_at end) as sql_reached_at,
        min(case when funnel_steps.reaches_sal then funnel_steps.reached_at end) as sal_reached_at,
        min(case when funnel_steps.reaches_mql then funnel_steps.reached_at end) as mql_reached_at
    from funnel_steps
    inner join cycles
        on
            funnel_steps.contact_id = cycles.contact_id
            and funnel_steps.cycle_number = cycles.last_cycle_number
    left join milestones
        on funnel_steps.contact_id = milestones.contact_id
    where
        milestones.last_lost_at is null
        or funnel_steps.reached_at > milestones.last_lost_at
    group by funnel_steps.contact_id

),

rule_entries as (

    select
        contacts.contact_id,
        milestones.first_won_at as customer_entered_at,
        milestones.first_disqualified_at as disqualified_entered_at,
        milestones.first_open_opportunity_at as opportunity_entered_at,
        last_cycle_steps.sql_reached_at as sql_entered_at,
        last_cycle_steps.sal_reached_at as sal_entered_at,
        last_cycle_steps.mql_reached_at as mql_entered_at,
        {{ greatest_not_null(['milestones.last_lost_at', 'cycles.last_rejected_at']) }}
            as recycled_entered_at,
        contacts.created_at as lead_entered_at
    from contacts
    inner join cycles
        on contacts.contact_id = cycles.contact_id
    left join milestones
        on contacts.contact_id = milestones.contact_id
    left join last_cycle_steps
        on contacts.contact_id = last_cycle_steps.contact_id

),

final as (

    select
        contact_id,
        case
            {%- for stage in stage_priority %}
                when {{ stage }}_entered_at is not null then '{{ stage }}'
            {%- endfor %}
        end as current_stage,
        coalesce(
            {%- for stage in stage_priority %}
                {{ stage }}_entered_at{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as current_stage_entered_at
    from rule_entries

)

select * from final
