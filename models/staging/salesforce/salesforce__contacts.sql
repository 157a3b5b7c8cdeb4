{#- docs/funnel_rules.md §10 (Salesforce): the raw contacts table (§2), one row per person
    (salesforce__person_ids). A lead converted into a contact (converted_contact_id) takes its
    attributes from that contact and its account (company = account name, industry,
    number_of_employees; title; country = mailing_country) and keeps the lead's created_date; a
    lead never converted keeps its own (title, company, industry, country, number_of_employees);
    a contact that never was a lead is a person with its own created_date. email, lead_source,
    is_deleted, last_modified_date (updated_at) and _fivetran_synced (_loaded_at) come from the
    same record as the attributes. Text as landed: the parsed staging models type and check it. -#}
{{ require_valid_scoring_rules() }}

with

leads as (

    select * from {{ ref('base_salesforce__leads') }}

),

contacts as (

    select * from {{ ref('base_salesforce__contacts') }}

),

accounts as (

    select * from {{ ref('base_salesforce__accounts') }}

),

person_ids as (

    select * from {{ ref('salesforce__person_ids') }}

),

contact_records as (

    select
        contacts.sf_contact_id,
        contacts.email,
        contacts.title as job_title,
        accounts.account_name as company_name,
        accounts.industry,
        contacts.mailing_country as country_code,
        contacts.lead_source,
        accounts.number_of_employees as employee_count,
        contacts.created_date as created_at,
        contacts.last_modified_date as updated_at,
        contacts.is_deleted,
        contacts._fivetran_synced as loaded_at
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id

),

lead_records as (

    select
        leads.lead_id,
        leads.converted_contact_id,
        leads.email,
        leads.title as job_title,
        leads.company as company_name,
        leads.industry,
        leads.country as country_code,
        leads.lead_source,
        leads.number_of_employees as employee_count,
        leads.created_date as created_at,
        leads.last_modified_date as updated_at,
        leads.is_deleted,
        leads._fivetran_synced as loaded_at
    from leads

),

converted_lead_people as (

    select
        lead_records.lead_id as contact_id,
        converted.email,
        converted.job_title,
        converted.company_name,
        converted.industry,
        converted.country_code,
        converted.lead_source,
        converted.employee_count,
        lead_records.created_at,
        converted.updated_at,
        converted.is_deleted,
        converted.loaded_at
    from lead_records
    inner join contact_records as converted
        on lead_records.converted_contact_id = converted.sf_contact_id

),

unconverted_lead_people as (

    select
        lead_records.lead_id as contact_id,
        lead_records.email,
        lead_records.job_title,
        lead_records.company_name,
        lead_records.industry,
        lead_records.country_code,
        lead_records.lead_source,
        lead_records.employee_count,
        lead_records.created_at,
        lead_records.updated_at,
        lead_records.is_deleted,
        lead_records.loaded_at
    from lead_records
    left join contact_records as converted
        on lead_records.converted_contact_id = converted.sf_contact_id
    where converted.sf_contact_id is null

),

contact_people as (

    select
        contact_records.sf_contact_id as contact_id,
        contact_records.email,
        contact_records.job_title,
        contact_records.company_name,
        contact_records.industry,
        contact_records.country_code,
        contact_records.lead_source,
        contact_records.employee_count,
        contact_records.created_at,
        contact_records.updated_at,
        contact_records.is_deleted,
        contact_records.loaded_at
    from contact_records
    inner join person_ids
        on
            contact_records.sf_contact_id = person_ids.record_id
            and person_ids.record_type = 'contact'
    where person_ids.contact_id = contact_records.sf_contact_id

),

people as (

    select * from converted_lead_people
    union all
    select * from unconverted_lead_people
    union all
    select * from contact_people

),

final as (

    select
        contact_id,
        email,
        job_title,
        company_name,
        industry,
        country_code,
        lead_source,
        employee_count,
        created_at,
        updated_at,
        is_deleted,
        loaded_at as _loaded_at
    from people

)

select * from final
