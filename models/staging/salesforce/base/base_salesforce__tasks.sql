{#- docs/funnel_rules.md §10 (Salesforce): one row per landed task (Fivetran's
    `task`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'task') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as task_id,
        {{ clean_text(connector_column(source_table, 'who_id')) }} as who_id,
        {{ connector_column(source_table, 'owner_id') }} as owner_id,
        {{ clean_text(connector_column(source_table, 'type')) }} as task_type,
        {{ clean_text(connector_column(source_table, 'task_subtype')) }} as task_subtype,
        {{ connector_column(source_table, 'created_date') }} as created_date,
        {{ connector_column(source_table, 'is_deleted') }} as is_deleted,
        {{ connector_column(source_table, '_fivetran_synced') }} as _fivetran_synced
    from source

)

select * from final
