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

cycle_numbers as (

    {{ assign_cycle_numbers('activities', 'activity_id') }}

),

final as (

    select
        bant_checked.activity_id,
        bant_checked.contact_id,
        bant_checked.owner_id,
        bant_checked.activity_type,
        bant_checked.rejection_reason,
        bant_checked.bant_confirmed_count,
        bant_checked.has_enough_bant,
        bant_checked.is_acceptance,
        bant_checked.is_rejection,
        bant_checked.is_disqualification,
        bant_checked.is_qualification and bant_checked.has_enough_bant as is_sql_qualification,
        bant_checked.occurred_at,
        cast(cycle_numbers.cycle_number as {{ dbt.type_bigint() }}) as cycle_number
    from bant_checked
    inner join cycle_numbers
        on bant_checked.activity_id = cycle_numbers.activity_id

)

select * from final
