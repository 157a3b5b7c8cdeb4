{#- docs/funnel_rules.md §10 (Salesforce): the values the mapping seeds do not know, with how many
    rows carry each. Lead statuses (salesforce__lead_statuses) connector_status_mapping has no row
    for produce no activity; campaign responses whose `<campaign type> / <member status>`
    connector_form_event_types has no row for become form_submission events. -#}
{{ require_valid_scoring_rules() }}

with

lead_statuses as (

    select * from {{ ref('salesforce__lead_statuses') }}

),

campaign_responses as (

    select * from {{ ref('salesforce__campaign_responses') }}

),

unmapped_statuses as (

    select
        source_table,
        source_field,
        status as source_value,
        count(*) as row_count
    from lead_statuses
    where not is_known
    group by source_table, source_field, status

),

unmapped_responses as (

    select
        'campaign_member' as source_table,
        'campaign.type / campaign_member.status' as source_field,
        response_key as source_value,
        count(*) as row_count
    from campaign_responses
    where not is_mapped
    group by response_key

),

unmapped as (

    select * from unmapped_statuses
    union all
    select * from unmapped_responses

),

final as (

    select
        'salesforce' as connector,
        source_table,
        source_field,
        source_value,
        cast(row_count as {{ dbt.type_bigint() }}) as row_count
    from unmapped

)

select * from final
