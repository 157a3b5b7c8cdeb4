{#- Sales activities with the recycle cycle they belong to (SPEC §4 cycles). -#}
with

activities as (

    select * from {{ ref('stg_crm__sales_activities') }}

),

rejections as (

    select
        contact_id,
        occurred_at
    from activities
    where activity_type = 'sales_rejected'

),

cycle_numbers as (

    {{ assign_cycle_numbers('activities', 'activity_id', 'rejections') }}

),

final as (

    select
        activities.activity_id,
        activities.contact_id,
        activities.owner_id,
        activities.activity_type,
        activities.rejection_reason,
        activities.bant_confirmed_count,
        activities.bant_confirmed_count >= {{ var('sql_min_bant') }} as has_enough_bant,
        activities.occurred_at,
        cast(cycle_numbers.cycle_number as {{ dbt.type_bigint() }}) as cycle_number
    from activities
    inner join cycle_numbers
        on activities.activity_id = cycle_numbers.activity_id

)

select * from final
