{#- Every dated stage entry of every staged contact, before ordering into transitions:
    lead at created_at; mql / sal / sql / pql of every handoff; recycled at every sales_rejected and
    every lost deal's closed_at; opportunity at every deal's created_at; customer at every won
    deal's closed_at; disqualified at the first disqualified activity (its milestone,
    int_contacts_sales_milestones_dated). cycle_number follows the docs/funnel_rules.md §4 rule
    for an instant t (macro assign_cycle_numbers); stage_order is the position in funnel_stages(). -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

handoffs as (

    select * from {{ ref('int_handoffs_resolved') }}
    where {{ refresh_filter('contact_id') }}

),

activities as (

    select * from {{ ref('int_sales_activities_cycled') }}
    where {{ refresh_filter('contact_id') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where {{ refresh_filter('contact_id') }}

),

milestones as (

    select * from {{ ref('int_contacts_sales_milestones_dated') }}
    where {{ refresh_filter('contact_id') }}

),

entries as (

    select
        'contact' as entry_kind,
        contact_id,
        'lead' as stage,
        created_at as entered_at,
        contact_id as source_key
    from contacts
    union all
    select
        'handoff_mql' as entry_kind,
        contact_id,
        'mql' as stage,
        mql_at as entered_at,
        handoff_id as source_key
    from handoffs
    union all
    select
        'handoff_sal' as entry_kind,
        contact_id,
        'sal' as stage,
        sal_at as entered_at,
        handoff_id as source_key
    from handoffs
    where sal_at is not null
    union all
    select
        'handoff_sql' as entry_kind,
        contact_id,
        'sql' as stage,
        sql_at as entered_at,
        handoff_id as source_key
    from handoffs
    where sql_at is not null
    union all
    select
        'handoff_pql' as entry_kind,
        contact_id,
        'pql' as stage,
        pql_at as entered_at,
        handoff_id as source_key
    from handoffs
    where pql_at is not null
    union all
    select
        'sales_rejected' as entry_kind,
        contact_id,
        'recycled' as stage,
        occurred_at as entered_at,
        activity_id as source_key
    from activities
    where is_rejection
    union all
    select
        'lost_opportunity' as entry_kind,
        contact_id,
        'recycled' as stage,
        closed_at as entered_at,
        opportunity_id as source_key
    from opportunities
    where is_closed and not is_won
    union all
    select
        'opportunity' as entry_kind,
        contact_id,
        'opportunity' as stage,
        created_at as entered_at,
        opportunity_id as source_key
    from opportunities
    union all
    select
        'won_opportunity' as entry_kind,
        contact_id,
        'customer' as stage,
        closed_at as entered_at,
        opportunity_id as source_key
    from opportunities
    where is_won
    union all
    select
        'disqualified' as entry_kind,
        contact_id,
        'disqualified' as stage,
        first_disqualified_at as entered_at,
        first_disqualification_activity_id as source_key
    from milestones
    where first_disqualified_at is not null

),

keyed_entries as (

    select
        {{ dbt.concat(['entry_kind', "'|'", 'source_key']) }} as entry_key,
        contact_id,
        stage,
        entered_at,
        case stage
            {%- for stage in funnel_stages() + side_path_stages() %}
                when '{{ stage }}' then {{ loop.index0 }}
            {%- endfor %}
        end as stage_order
    from entries

),

entry_instants as (

    select
        *,
        entered_at as occurred_at
    from keyed_entries

),

cycled_entries as (

    {{ assign_cycle_numbers('entry_instants') }}

),

final as (

    select
        contact_id,
        stage,
        stage_order,
        entered_at,
        entry_key,
        cast(cycle_number as {{ dbt.type_bigint() }}) as cycle_number
    from cycled_entries

)

select * from final
