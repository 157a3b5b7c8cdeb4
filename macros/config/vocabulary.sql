{#- The fixed vocabularies of SPEC.md. -#}

{% macro known_event_types() -%}
    {{ return([
        'email_open', 'email_click', 'page_view', 'content_download', 'webinar_registration',
        'webinar_attended', 'form_submission', 'demo_request', 'contact_sales', 'trial_signup',
        'product_key_action', 'newsletter_subscribe', 'social_follow', 'unsubscribe', 'email_bounce'
    ]) }}
{%- endmacro %}

{% macro known_activity_types() -%}
    {{ return(['sales_accepted', 'sales_rejected', 'qualification', 'disqualified', 'call', 'meeting', 'email']) }}
{%- endmacro %}

{#- Renders a Python list of strings as a SQL in-list: ('a', 'b'). -#}
{% macro sql_in_list(values) -%}
    ({% for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
