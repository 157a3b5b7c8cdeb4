{#- Stage entries per UTC day, stage and lead source, of the contacts in lead_stages (docs/funnel_rules.md §6):
    the waterfall entries of int_stage_entries_unioned (lead by created_at, mql / sal / sql per
    handoff, so re-MQLs count again, opportunity per deal, customer per won deal, pql per cycle's
    PQL moment); only days with entries exist. -#}
with

lead_stages as (

    select
        contact_id,
        lead_source
    from {{ ref('lead_stages') }}

),

waterfall_entries as (

    select * from {{ ref('int_stage_entries_unioned') }}
    where stage in {{ sql_in_list(volume_stages()) }}

),

final as (

    select
        cast(waterfall_entries.entered_at as date) as day,
        cast(waterfall_entries.stage as {{ dbt.type_string() }}) as stage,
        cast(lead_stages.lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(count(*) as {{ dbt.type_bigint() }}) as entries,
        cast(count(distinct waterfall_entries.contact_id) as {{ dbt.type_bigint() }}) as contacts
    from waterfall_entries
    inner join lead_stages
        on waterfall_entries.contact_id = lead_stages.contact_id
    group by
        cast(waterfall_entries.entered_at as date),
        waterfall_entries.stage,
        lead_stages.lead_source

)

select * from final
