{{ config(materialized='table') }}
{#- Every handoff with its SLA verdict (docs/funnel_rules.md §5): response_hours <= handoff_sla_hours; while
    pending, false once as_of - mql_at is strictly more than the SLA, else null. A table rebuilt
    by every build (one row per handoff): a pending handoff's verdict flips as as_of moves. -#}
with

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}

),

final as (

    select
        handoff_id,
        contact_id,
        cycle_number,
        mql_at,
        mql_reason,
        score_at_mql,
        outcome,
        responded_at,
        response_hours,
        sal_at,
        rejected_at,
        rejection_reason,
        sql_at,
        owner_id,
        case
            when responded_at is not null then response_hours <= {{ var('handoff_sla_hours') }}
            when {{ hours_between('mql_at', as_of()) }} > {{ var('handoff_sla_hours') }} then false
        end as within_sla
    from handoffs

)

select * from final
