{#- One row per cycle that reached MQL, of the contacts in lead_stages (docs/funnel_rules.md §6). -#}
with

handoffs as (

    select * from {{ ref('int_handoffs_sla_checked') }}

),

lead_stages as (

    select contact_id from {{ ref('lead_stages') }}

),

final as (

    select
        cast(handoffs.handoff_id as {{ dbt.type_string() }}) as handoff_id,
        cast(handoffs.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(handoffs.cycle_number as {{ dbt.type_bigint() }}) as cycle_number,
        cast(handoffs.mql_at as {{ dbt.type_timestamp() }}) as mql_at,
        cast(handoffs.mql_reason as {{ dbt.type_string() }}) as mql_reason,
        cast(handoffs.score_at_mql as {{ type_double() }}) as score_at_mql,
        cast(handoffs.outcome as {{ dbt.type_string() }}) as outcome,
        cast(handoffs.responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        cast(handoffs.response_hours as {{ type_double() }}) as response_hours,
        cast(handoffs.within_sla as {{ dbt.type_boolean() }}) as within_sla,
        cast(handoffs.sal_at as {{ dbt.type_timestamp() }}) as sal_at,
        cast(handoffs.rejected_at as {{ dbt.type_timestamp() }}) as rejected_at,
        cast(handoffs.rejection_reason as {{ dbt.type_string() }}) as rejection_reason,
        cast(handoffs.sql_at as {{ dbt.type_timestamp() }}) as sql_at,
        cast(handoffs.owner_id as {{ dbt.type_string() }}) as owner_id
    from handoffs
    inner join lead_stages
        on handoffs.contact_id = lead_stages.contact_id

)

select * from final
