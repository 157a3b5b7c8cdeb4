{#- HubSpot adapter (docs/funnel_rules.md §10): the raw engagement_events table of docs/funnel_rules.md §2
    from Fivetran's `email_event` and `contact_form_submission`.
    - email_event: OPEN -> email_open, CLICK -> email_click, BOUNCE -> email_bounce, SPAMREPORT
      and STATUSCHANGE (the unsubscribe status changes) -> unsubscribe; other types (SENT,
      DELIVERED, ...) are not engagement and are left out. The contact is the one whose
      lower-cased, trimmed property_email equals the recipient's; when several share it, the one
      created first (ties by id); none -> no contact_id, which staging quarantines as
      orphan_contact_id. campaign_id = email_campaign_id.
    - contact_form_submission: event_id = conversion_id, event_type from seed
      connector_form_event_types by form_id (default form_submission), page_url, no campaign.
    _loaded_at from _fivetran_synced. -#}
{%- set email_table = source('hubspot', 'email_event') %}
{%- set form_table = source('hubspot', 'contact_form_submission') %}
{%- set email_types = {
    'OPEN': 'email_open', 'CLICK': 'email_click', 'BOUNCE': 'email_bounce',
    'SPAMREPORT': 'unsubscribe', 'STATUSCHANGE': 'unsubscribe'} %}

{{ require_valid_scoring_rules() }}

with

contacts as (

    select * from {{ source('hubspot', 'contact') }}

),

email_events as (

    select * from {{ email_table }}

),

form_submissions as (

    select * from {{ form_table }}

),

form_event_types as (

    {{ connector_form_rows('hubspot') }}

),

contact_emails as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        {{ clean_code('property_email') }} as email,
        row_number() over (
            partition by {{ clean_code('property_email') }}
            order by
                case when {{ parse_timestamp_utc('property_createdate') }} is null then 1 else 0 end,
                {{ parse_timestamp_utc('property_createdate') }},
                cast(id as {{ dbt.type_string() }})
        ) as created_rank
    from contacts
    where {{ clean_code('property_email') }} is not null

),

email_engagement as (

    select
        cast(email_events.id as {{ dbt.type_string() }}) as event_id,
        contact_emails.contact_id,
        case upper(trim(cast(email_events.type as {{ dbt.type_string() }})))
            {%- for hubspot_type, event_type in email_types.items() %}
                when '{{ hubspot_type }}' then '{{ event_type }}'
            {%- endfor %}
        end as event_type,
        cast(null as {{ dbt.type_string() }}) as page_url,
        {{ connector_column(email_table, 'email_campaign_id') }} as campaign_id,
        cast(email_events.created as {{ dbt.type_string() }}) as occurred_at,
        cast(email_events._fivetran_synced as {{ dbt.type_string() }}) as _loaded_at
    from email_events
    left join contact_emails
        on
            {{ clean_code('email_events.recipient') }} = contact_emails.email
            and contact_emails.created_rank = 1
    where
        upper(trim(cast(email_events.type as {{ dbt.type_string() }})))
        in {{ sql_in_list(email_types.keys() | list) }}

),

form_engagement as (

    select
        cast(form_submissions.conversion_id as {{ dbt.type_string() }}) as event_id,
        cast(form_submissions.contact_id as {{ dbt.type_string() }}) as contact_id,
        coalesce(form_event_types.event_type, 'form_submission') as event_type,
        {{ connector_column(form_table, 'page_url') }} as page_url,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(form_submissions.{{ adapter.quote('timestamp') }} as {{ dbt.type_string() }}) as occurred_at,
        cast(form_submissions._fivetran_synced as {{ dbt.type_string() }}) as _loaded_at
    from form_submissions
    left join form_event_types
        on {{ clean_code('form_submissions.form_id') }} = form_event_types.form_key

),

final as (

    select * from email_engagement
    union all
    select * from form_engagement

)

select * from final
