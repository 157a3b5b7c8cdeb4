{#- docs/funnel_rules.md §10 (Salesforce): the raw engagement_events table (§2) from campaign
    responses (salesforce__campaign_responses): the member id as event_id, the person, the event
    type of the form seed (default form_submission), the campaign, and first_responded_date as
    occurred_at (a Date field: staging reads it as midnight UTC). Salesforce lands no page views,
    e-mail events or product usage, and one response per person and campaign. -#}
{{ require_valid_scoring_rules() }}

with

responses as (

    select * from {{ ref('salesforce__campaign_responses') }}

),

final as (

    select
        member_id as event_id,
        contact_id,
        event_type,
        cast(null as {{ dbt.type_string() }}) as page_url,
        campaign_id,
        first_responded_date as occurred_at,
        loaded_at as _loaded_at
    from responses

)

select * from final
