{#- One row per stage entry, in order per contact: entries into the stage the contact is already
    in are not transitions and are dropped; ties at one instant follow the funnel order. -#}
with

entries as (

    select * from {{ ref('int_stage_entries_unioned') }}
    where stage not in {{ sql_in_list(side_path_stages()) }}

),

lead_stages as (

    select contact_id from {{ ref('lead_stages') }}

),

ordered_entries as (

    select
        entries.*,
        lag(entries.stage) over (
            partition by entries.contact_id
            order by entries.entered_at, entries.stage_order, entries.entry_key
        ) as previous_entry_stage
    from entries
    inner join lead_stages
        on entries.contact_id = lead_stages.contact_id

),

stage_changes as (

    select * from ordered_entries
    where previous_entry_stage is null or previous_entry_stage <> stage

),

sequenced as (

    select
        contact_id,
        stage as to_stage,
        entered_at as transitioned_at,
        cycle_number,
        lag(stage) over (
            partition by contact_id order by entered_at, stage_order, entry_key
        ) as from_stage,
        lag(entered_at) over (
            partition by contact_id order by entered_at, stage_order, entry_key
        ) as from_stage_entered_at,
        row_number() over (
            partition by contact_id order by entered_at, stage_order, entry_key
        ) as transition_number
    from stage_changes

),

final as (

    select
        cast(
            {{ dbt.concat(['contact_id', "'-'", "cast(transition_number as " ~ dbt.type_string() ~ ")"]) }}
            as {{ dbt.type_string() }}
        ) as transition_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(transition_number as {{ dbt.type_bigint() }}) as transition_number,
        cast(from_stage as {{ dbt.type_string() }}) as from_stage,
        cast(to_stage as {{ dbt.type_string() }}) as to_stage,
        cast(transitioned_at as {{ dbt.type_timestamp() }}) as transitioned_at,
        cast(cycle_number as {{ dbt.type_bigint() }}) as cycle_number,
        cast({{ hours_between('from_stage_entered_at', 'transitioned_at') }} as {{ type_double() }})
            as hours_in_from_stage
    from sequenced

)

select * from final
