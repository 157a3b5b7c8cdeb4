{#- docs/funnel_rules.md §10 (Salesforce): one row per landed account (Fivetran's
    `account`), the columns the adapter reads under its own names, as text; a column the table
    lacks is a typed null (macro connector_column), any other column is ignored. Ids and codes
    are trimmed (blank = null). -#}
{%- set source_table = source('salesforce', 'account') -%}

{{ require_valid_scoring_rules() }}

with

source as (

    select * from {{ source_table }}

),

final as (

    select
        {{ clean_text(connector_column(source_table, 'id')) }} as account_id,
        {{ connector_column(source_table, 'name') }} as account_name,
        {{ connector_column(source_table, 'industry') }} as industry,
        {{ connector_column(source_table, 'number_of_employees') }} as number_of_employees
    from source

)

select * from final
