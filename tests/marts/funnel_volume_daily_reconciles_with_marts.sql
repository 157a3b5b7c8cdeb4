{#- funnel_volume_daily counts the same entries as the other marts (docs/funnel_rules.md §6): lead entries =
    contacts of lead_stages; mql = handoffs; sal = accepted handoffs; sql = handoffs with an
    sql_at. Returns the stages whose totals disagree. -#}
with

volumes as (

    select
        stage,
        sum(entries) as entries
    from {{ ref('funnel_volume_daily') }}
    group by stage

),

expected as (

    select
        'lead' as stage,
        count(*) as entries
    from {{ ref('lead_stages') }}
    union all
    select
        'mql' as stage,
        count(*) as entries
    from {{ ref('lead_handoffs') }}
    union all
    select
        'sal' as stage,
        count(sal_at) as entries
    from {{ ref('lead_handoffs') }}
    union all
    select
        'sql' as stage,
        count(sql_at) as entries
    from {{ ref('lead_handoffs') }}

),

final as (

    select
        expected.stage,
        expected.entries as expected_entries,
        coalesce(volumes.entries, 0) as volume_entries
    from expected
    left join volumes
        on expected.stage = volumes.stage
    where expected.entries <> coalesce(volumes.entries, 0)

)

select * from final
