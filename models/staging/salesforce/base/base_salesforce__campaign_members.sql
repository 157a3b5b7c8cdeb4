{#- docs/funnel_rules.md §10 (Salesforce): one row per landed campaign member (Fivetran's
    `campaign_member`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'campaign_member') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as member_id,
        {{ clean_text(connector_column(source_table, 'campaign_id')) }} as campaign_id,
        {{ clean_text(connector_column(source_table, 'lead_id')) }} as lead_id,
        {{ clean_text(connector_column(source_table, 'contact_id')) }} as sf_contact_id,
        {{ clean_text(connector_column(source_table, 'status')) }} as status,
        {{ connector_column(source_table, 'has_responded') }} as has_responded,
        {{ connector_column(source_table, 'first_responded_date') }} as first_responded_date,
        {{ connector_column(source_table, 'is_deleted') }} as is_deleted,
        {{ connector_column(source_table, '_fivetran_synced') }} as _fivetran_synced
    from source

)

select * from final
