{#- docs/funnel_rules.md §10 (Salesforce): one row per landed lead (Fivetran's
    `lead`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'lead') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as lead_id,
        {{ connector_column(source_table, 'email') }} as email,
        {{ connector_column(source_table, 'title') }} as title,
        {{ connector_column(source_table, 'company') }} as company,
        {{ connector_column(source_table, 'industry') }} as industry,
        {{ connector_column(source_table, 'country') }} as country,
        {{ connector_column(source_table, 'lead_source') }} as lead_source,
        {{ connector_column(source_table, 'number_of_employees') }} as number_of_employees,
        {{ clean_text(connector_column(source_table, 'status')) }} as status,
        {{ connector_column(source_table, 'owner_id') }} as owner_id,
        {{ clean_text(connector_column(source_table, 'converted_contact_id')) }} as converted_contact_id,
        {{ clean_text(connector_column(source_table, 'converted_opportunity_id')) }} as converted_opportunity_id,
        {{ clean_text(connector_column(source_table, 'converted_date')) }} as converted_date,
        {{ connector_column(source_table, 'created_date') }} as created_date,
        {{ connector_column(source_table, 'last_modified_date') }} as last_modified_date,
        {{ connector_column(source_table, 'is_deleted') }} as is_deleted,
        {{ connector_column(source_table, '_fivetran_synced') }} as _fivetran_synced
    from source

)

select * from final
