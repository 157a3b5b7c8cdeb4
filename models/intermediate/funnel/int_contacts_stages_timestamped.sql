{#- Contact-level stage timestamps (docs/funnel_rules.md §5): the actual first time each stage was reached, and
    the waterfall timestamps inferred from them, each the earliest of its own actual time and the
    next stage's timestamp, so the waterfall is complete and ordered when the CRM skipped a stage.
    customer_at = actual; opportunity_at = least(actual, customer_at); sql_at = least(actual,
    opportunity_at); sal_at = least(actual, sql_at); mql_at = least(actual, sal_at). -#}
{%- set inferred_stages = ['mql', 'sal', 'sql', 'opportunity'] -%}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}
    where {{ refresh_filter('contact_id') }}

),

milestones as (

    select * from {{ ref('int_contacts_sales_milestones_dated') }}
    where {{ refresh_filter('contact_id') }}

),

first_mqls as (

    select
        contact_id,
        min(mql_at) as actual_mql_at
    from handoffs
    group by contact_id

),

actual_stages as (

    select
        contacts.contact_id,
        first_mqls.actual_mql_at,
        milestones.first_accepted_at as actual_sal_at,
        milestones.first_sql_qualified_at as actual_sql_at,
        milestones.first_opportunity_at as actual_opportunity_at,
        milestones.first_won_at as actual_customer_at
    from contacts
    left join first_mqls
        on contacts.contact_id = first_mqls.contact_id
    left join milestones
        on contacts.contact_id = milestones.contact_id

),

opportunity_inferred as (

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
    from opportunity_inferred

),

sal_inferred as (

    select
        *,
        {{ least_not_null(['actual_sal_at', 'sql_at']) }} as sal_at
    from sql_inferred

),

mql_inferred as (

    select
        *,
        {{ least_not_null(['actual_mql_at', 'sal_at']) }} as mql_at
    from sal_inferred

),

final as (

    select
        contact_id,
        mql_at,
        sal_at,
        sql_at,
        opportunity_at,
        customer_at,
        actual_mql_at,
        actual_sal_at,
        actual_sql_at,
        actual_opportunity_at,
        actual_customer_at,
        {#- An inferred timestamp is never later than the actual one: it differs when the actual
            one is missing or later. #}
        (
            {%- for stage in inferred_stages %}
                ({{ stage }}_at is not null and actual_{{ stage }}_at is null)
                or coalesce({{ stage }}_at < actual_{{ stage }}_at, false)
                {%- if not loop.last %} or{% endif %}
            {%- endfor %}
        ) as has_inferred_stage
    from mql_inferred

)

select * from final
