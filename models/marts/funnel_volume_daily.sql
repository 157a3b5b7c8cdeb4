{#- Stage entries per UTC day, stage and lead source (re-MQLs count again); only days with
    entries exist. -#}
with

active_contacts as (

    select
        contact_id,
        lead_source,
        created_at
    from {{ ref('stg_crm__contacts') }}
    where not is_deleted

),

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stage_entries as (

    select
        contact_id,
        'lead' as stage,
        created_at as entered_at
    from active_contacts
    union all
    select
        contact_id,
        'mql' as stage,
        mql_at as entered_at
    from handoffs
    union all
    select
        contact_id,
        'sal' as stage,
        sal_at as entered_at
    from handoffs
    where sal_at is not null
    union all
    select
        contact_id,
        'sql' as stage,
        sql_at as entered_at
    from handoffs
    where sql_at is not null
    union all
    select
        contact_id,
        'opportunity' as stage,
        created_at as entered_at
    from opportunities
    union all
    select
        contact_id,
        'customer' as stage,
        closed_at as entered_at
    from opportunities
    where is_won

),

final as (

    select
        cast(stage_entries.entered_at as date) as day,
        cast(stage_entries.stage as {{ dbt.type_string() }}) as stage,
        cast(active_contacts.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(count(*) as {{ dbt.type_bigint() }}) as entries,
        cast(count(distinct stage_entries.contact_id) as {{ dbt.type_bigint() }}) as contacts
    from stage_entries
    inner join active_contacts
        on stage_entries.contact_id = active_contacts.contact_id
    group by
        cast(stage_entries.entered_at as date),
        stage_entries.stage,
        active_contacts.lead_source

)

select * from final
