{#- docs/funnel_rules.md §10 (Salesforce): one row per landed opportunity (Fivetran's
    `opportunity`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'opportunity') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as opportunity_id,
        {{ connector_column(source_table, 'created_date') }} as created_date,
        {{ connector_column(source_table, 'close_date') }} as close_date,
        {{ connector_column(source_table, 'last_modified_date') }} as last_modified_date,
        {{ connector_column(source_table, '_fivetran_synced') }} as _fivetran_synced,
        {{ connector_column(source_table, 'stage_name') }} as stage_name,
        {{ connector_column(source_table, 'amount') }} as amount,
        {{ connector_column(source_table, 'is_closed') }} as is_closed,
        {{ connector_column(source_table, 'is_won') }} as is_won,
        {{ connector_column(source_table, 'is_deleted') }} as is_deleted
    from source

)

select * from final
