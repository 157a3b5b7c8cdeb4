{#- docs/funnel_rules.md §10 (Salesforce): the raw opportunities table (§2) from opportunity rows not
    deleted: created_date, close_date (a Date: midnight UTC) as closed_at, last_modified_date as
    updated_at, stage_name, amount, is_closed, is_won. The contact is the person
    (salesforce__person_ids) of the primary opportunity_contact_role (is_primary, not deleted;
    the earliest created_date, then id, should several be primary), else the lead converted into
    the opportunity (converted_opportunity_id; the earliest created lead, then id). -#}
{{ require_valid_scoring_rules() }}

with

opportunities as (

    select * from {{ ref('base_salesforce__opportunities') }}

),

contact_roles as (

    select * from {{ ref('base_salesforce__opportunity_contact_roles') }}

),

leads as (

    select * from {{ ref('base_salesforce__leads') }}

),

person_ids as (

    select * from {{ ref('salesforce__person_ids') }}

),

primary_roles as (

    select
        contact_roles.opportunity_id,
        coalesce(person_ids.contact_id, contact_roles.sf_contact_id) as contact_id,
        row_number() over (
            partition by contact_roles.opportunity_id
            order by
                {{ parse_timestamp_utc('contact_roles.created_date') }} asc nulls last,
                contact_roles.role_id asc nulls last
        ) as role_rank
    from contact_roles
    left join person_ids
        on
            contact_roles.sf_contact_id = person_ids.record_id
            and person_ids.record_type = 'contact'
    where
        {{ parse_boolean('contact_roles.is_primary') }}
        and not {{ parse_boolean('contact_roles.is_deleted') }}

),

converted_leads as (

    select
        converted_opportunity_id as opportunity_id,
        lead_id as contact_id,
        row_number() over (
            partition by converted_opportunity_id
            order by {{ parse_timestamp_utc('created_date') }} asc nulls last, lead_id asc
        ) as lead_rank
    from leads
    where converted_opportunity_id is not null and lead_id is not null

),

opportunities_with_contacts as (

    select
        opportunities.*,
        coalesce(primary_roles.contact_id, converted_leads.contact_id) as contact_id
    from opportunities
    left join primary_roles
        on
            opportunities.opportunity_id = primary_roles.opportunity_id
            and primary_roles.role_rank = 1
    left join converted_leads
        on
            opportunities.opportunity_id = converted_leads.opportunity_id
            and converted_leads.lead_rank = 1
    where not {{ parse_boolean('opportunities.is_deleted') }}

),

final as (

    select
        opportunity_id,
        contact_id,
        created_date as created_at,
        close_date as closed_at,
        last_modified_date as updated_at,
        _fivetran_synced as _loaded_at,
        stage_name,
        amount,
        is_closed,
        is_won
    from opportunities_with_contacts

)

select * from final
