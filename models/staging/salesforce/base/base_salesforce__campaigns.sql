{#- docs/funnel_rules.md §10 (Salesforce): one row per landed campaign (Fivetran's
    `campaign`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'campaign') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as campaign_id,
        {{ clean_text(connector_column(source_table, 'type')) }} as campaign_type
    from source

)

select * from final
