{#- One row describing the build: the as_of the funnel was evaluated at, when the run started,
    the newest staged event, and the row totals that external validation (lead-funnel validate)
    compares the marts with. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

events as (

    select * from {{ ref('stg_marketing__engagement_events') }}

),

reconciliation as (

    select * from {{ ref('dq_source_reconciliation') }}

),

contact_totals as (

    select
        count(*) as staged_contacts,
        count(case when not is_deleted then 1 end) as active_contacts
    from contacts

),

event_totals as (

    select max(occurred_at) as newest_event_at
    from events

),

row_totals as (

    select
        sum(raw_rows) as raw_rows,
        sum(quarantined_rows) as quarantined_rows
    from reconciliation

),

final as (

    select
        cast({{ as_of() }} as {{ dbt.type_timestamp() }}) as as_of,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as run_started_at,
        cast(event_totals.newest_event_at as {{ dbt.type_timestamp() }}) as newest_event_at,
        cast(contact_totals.staged_contacts as {{ dbt.type_bigint() }}) as staged_contacts,
        cast(contact_totals.active_contacts as {{ dbt.type_bigint() }}) as active_contacts,
        cast(row_totals.raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(row_totals.quarantined_rows as {{ dbt.type_bigint() }}) as quarantined_rows
    from contact_totals
    cross join event_totals
    cross join row_totals

)

select * from final
