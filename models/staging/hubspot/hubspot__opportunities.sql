{#- HubSpot adapter (docs/funnel_rules.md §10): the raw opportunities table of docs/funnel_rules.md §2 from
    Fivetran's `deal` (not deleted: is_deleted and _fivetran_deleted false or absent) with its
    `deal_pipeline_stage` (label as stage_name, is_closed, closed_won as is_won). The primary
    contact is the associated contact (`deal_contact`) created first (property_createdate of
    `contact`; unknown creation last), ties by id. amount, created_at, closed_at and updated_at
    from property_amount, property_createdate, property_closedate, property_hs_lastmodifieddate;
    _loaded_at from _fivetran_synced. -#}
{%- set deal_table = source('hubspot', 'deal') %}
{%- set stage_table = source('hubspot', 'deal_pipeline_stage') %}

{{ require_valid_scoring_rules() }}

with

deals as (

    select * from {{ deal_table }}

),

pipeline_stages as (

    select * from {{ stage_table }}

),

deal_contacts as (

    select * from {{ source('hubspot', 'deal_contact') }}

),

contacts as (

    select * from {{ source('hubspot', 'contact') }}

),

live_deals as (

    select
        cast(deal_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(deal_pipeline_stage_id as {{ dbt.type_string() }}) as stage_id,
        {{ connector_column(deal_table, 'property_amount') }} as amount,
        cast(property_createdate as {{ dbt.type_string() }}) as created_at,
        {{ connector_column(deal_table, 'property_closedate') }} as closed_at,
        {{ connector_column(deal_table, 'property_hs_lastmodifieddate') }} as updated_at,
        cast(_fivetran_synced as {{ dbt.type_string() }}) as loaded_at
    from deals
    where
        not {{ parse_boolean(connector_column(deal_table, 'is_deleted')) }}
        and not {{ parse_boolean(connector_column(deal_table, '_fivetran_deleted')) }}

),

ranked_stages as (

    select
        cast(stage_id as {{ dbt.type_string() }}) as stage_id,
        cast(label as {{ dbt.type_string() }}) as stage_name,
        cast(is_closed as {{ dbt.type_string() }}) as is_closed,
        cast(closed_won as {{ dbt.type_string() }}) as is_won,
        row_number() over (
            partition by cast(stage_id as {{ dbt.type_string() }})
            order by
                case when {{ parse_boolean(connector_column(stage_table, '_fivetran_deleted')) }} then 1 else 0 end,
                cast(label as {{ dbt.type_string() }})
        ) as stage_rank
    from pipeline_stages

),

contact_creation as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        min({{ parse_timestamp_utc('property_createdate') }}) as created_at
    from contacts
    group by cast(id as {{ dbt.type_string() }})

),

ranked_associations as (

    select
        cast(deal_contacts.deal_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(deal_contacts.contact_id as {{ dbt.type_string() }}) as contact_id,
        row_number() over (
            partition by cast(deal_contacts.deal_id as {{ dbt.type_string() }})
            order by
                case when contact_creation.created_at is null then 1 else 0 end,
                contact_creation.created_at,
                cast(deal_contacts.contact_id as {{ dbt.type_string() }})
        ) as association_rank
    from deal_contacts
    left join contact_creation
        on cast(deal_contacts.contact_id as {{ dbt.type_string() }}) = contact_creation.contact_id

),

final as (

    select
        live_deals.opportunity_id,
        ranked_associations.contact_id,
        live_deals.created_at,
        live_deals.closed_at,
        live_deals.updated_at,
        live_deals.loaded_at as _loaded_at,
        ranked_stages.stage_name,
        live_deals.amount,
        ranked_stages.is_closed,
        ranked_stages.is_won
    from live_deals
    left join ranked_stages
        on
            live_deals.stage_id = ranked_stages.stage_id
            and ranked_stages.stage_rank = 1
    left join ranked_associations
        on
            live_deals.opportunity_id = ranked_associations.opportunity_id
            and ranked_associations.association_rank = 1

)

select * from final
