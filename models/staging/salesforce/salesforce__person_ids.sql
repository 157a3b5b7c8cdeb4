{#- docs/funnel_rules.md §10 (Salesforce): one person per lead. Every lead and contact id with the
    person (contact_id of the raw contract) it stands for: a lead is its own person; a contact
    converted from a lead (the lead's converted_contact_id) is that lead's person (the earliest
    created lead when several were converted into it, ties by id); a contact that never was a lead
    is a person of its own. -#}
{{ require_valid_scoring_rules() }}

with

leads as (

    select * from {{ ref('base_salesforce__leads') }}

),

contacts as (

    select * from {{ ref('base_salesforce__contacts') }}

),

converting_leads as (

    select
        converted_contact_id,
        lead_id,
        row_number() over (
            partition by converted_contact_id
            order by {{ parse_timestamp_utc('created_date') }} asc nulls last, lead_id asc
        ) as lead_rank
    from leads
    where converted_contact_id is not null and lead_id is not null

),

lead_people as (

    select
        lead_id as record_id,
        'lead' as record_type,
        lead_id as contact_id
    from leads
    where lead_id is not null

),

contact_people as (

    select
        contacts.sf_contact_id as record_id,
        'contact' as record_type,
        coalesce(converting_leads.lead_id, contacts.sf_contact_id) as contact_id
    from contacts
    left join converting_leads
        on
            contacts.sf_contact_id = converting_leads.converted_contact_id
            and converting_leads.lead_rank = 1
    where contacts.sf_contact_id is not null

),

final as (

    select * from lead_people
    union all
    select * from contact_people

)

select * from final
