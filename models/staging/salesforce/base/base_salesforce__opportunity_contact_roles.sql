{#- docs/funnel_rules.md §10 (Salesforce): one row per landed opportunity contact role (Fivetran's
    `opportunity_contact_role`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'opportunity_contact_role') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as role_id,
        {{ clean_text(connector_column(source_table, 'opportunity_id')) }} as opportunity_id,
        {{ clean_text(connector_column(source_table, 'contact_id')) }} as sf_contact_id,
        {{ connector_column(source_table, 'is_primary') }} as is_primary,
        {{ connector_column(source_table, 'created_date') }} as created_date,
        {{ connector_column(source_table, 'is_deleted') }} as is_deleted
    from source

)

select * from final
