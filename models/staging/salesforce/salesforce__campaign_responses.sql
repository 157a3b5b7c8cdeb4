{#- docs/funnel_rules.md §10 (Salesforce): one row per campaign response, a campaign_member row
    (not deleted) with has_responded, and its person (the lead, else the contact's person:
    salesforce__person_ids). Its event_type comes from seed connector_form_event_types (connector
    salesforce; form_id_or_name matched trimmed and case-insensitive), the most specific row
    first: `<campaign type> / <member status>` (e.g. `Webinar / Attended`), else the campaign type
    alone (`Webinar`), else the member status alone (`Attended`). A response no row matches is a
    form_submission, and its response_key (`<campaign type> / <member status>`) is counted in
    salesforce__unmapped_values. -#}
{{ require_valid_scoring_rules() }}

with

members as (

    select * from {{ ref('base_salesforce__campaign_members') }}

),

campaigns as (

    select * from {{ ref('base_salesforce__campaigns') }}

),

form_event_types as (

    {{ connector_form_rows('salesforce') }}

),

person_ids as (

    select * from {{ ref('salesforce__person_ids') }}

),

responses as (

    select
        members.member_id,
        members.campaign_id,
        members.status as member_status,
        members.first_responded_date,
        members._fivetran_synced as loaded_at,
        campaigns.campaign_type,
        {{ dbt.concat([
            "coalesce(campaigns.campaign_type, '')", "' / '", "coalesce(members.status, '')"
        ]) }} as response_key,
        coalesce(
            lead_people.contact_id, contact_people.contact_id, members.lead_id, members.sf_contact_id
        ) as contact_id
    from members
    left join campaigns
        on members.campaign_id = campaigns.campaign_id
    left join person_ids as lead_people
        on
            members.lead_id = lead_people.record_id
            and lead_people.record_type = 'lead'
    left join person_ids as contact_people
        on
            members.sf_contact_id = contact_people.record_id
            and contact_people.record_type = 'contact'
    where
        {{ parse_boolean('members.has_responded') }}
        and not {{ parse_boolean('members.is_deleted') }}

),

typed_responses as (

    select
        responses.*,
        coalesce(by_type_and_status.event_type, by_type.event_type, by_status.event_type) as mapped_event_type
    from responses
    left join form_event_types as by_type_and_status
        on lower(responses.response_key) = by_type_and_status.form_key
    left join form_event_types as by_type
        on lower(responses.campaign_type) = by_type.form_key
    left join form_event_types as by_status
        on lower(responses.member_status) = by_status.form_key

),

final as (

    select
        member_id,
        contact_id,
        campaign_id,
        campaign_type,
        member_status,
        response_key,
        first_responded_date,
        loaded_at,
        coalesce(mapped_event_type, 'form_submission') as event_type,
        mapped_event_type is not null as is_mapped
    from typed_responses

)

select * from final
