{#- Sales activities with the recycle cycle they belong to (docs/funnel_rules.md §4 cycles) and the one
    definition of an SQL-making qualification (enough confirmed BANT fields, docs/funnel_rules.md §5). -#}
with

activities as (

    select * from {{ ref('stg_crm__sales_activities') }}
    where {{ refresh_filter('contact_id') }}

),

bant_checked as (

    select
        *,
        bant_confirmed_count >= {{ var('sql_min_bant') }} as has_enough_bant
    from activities

),

cycled as (

    {{ assign_cycle_numbers('bant_checked') }}

),

final as (

    select
        cycled.activity_id,
        cycled.contact_id,
        cycled.owner_id,
        cycled.activity_type,
        cycled.rejection_reason,
        cycled.bant_confirmed_count,
        cycled.has_enough_bant,
        cycled.is_acceptance,
        cycled.is_rejection,
        cycled.is_disqualification,
        cycled.is_qualification and cycled.has_enough_bant as is_sql_qualification,
        cycled.occurred_at,
        cast(cycled.cycle_number as {{ dbt.type_bigint() }}) as cycle_number
    from cycled

)

select * from final
