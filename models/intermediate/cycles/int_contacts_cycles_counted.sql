{#- Recycle cycles per staged contact (docs/funnel_rules.md §4): the last (current) cycle is
    1 + the number of its sales_rejected activities; the latest rejection is when it began. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

rejections as (

    select * from {{ ref('int_sales_activities_cycled') }}
    where is_rejection and {{ refresh_filter('contact_id') }}

),

rejection_counts as (

    select
        contact_id,
        count(*) as rejection_count,
        max(occurred_at) as last_rejected_at
    from rejections
    group by contact_id

),

final as (

    select
        contacts.contact_id,
        cast(coalesce(rejection_counts.rejection_count, 0) as {{ dbt.type_bigint() }}) as rejection_count,
        cast(1 + coalesce(rejection_counts.rejection_count, 0) as {{ dbt.type_bigint() }})
            as last_cycle_number,
        rejection_counts.last_rejected_at
    from contacts
    left join rejection_counts
        on contacts.contact_id = rejection_counts.contact_id

)

select * from final
