{#- The fixed vocabularies of docs/funnel_rules.md. -#}

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

{#- Contact attributes a fit rule may read (docs/funnel_rules.md §4). The seed test fit_rule_attribute_is_known
    accepts only these, and int_contacts_fit_scored scores exactly these. -#}
{% macro known_fit_attributes() -%}
    {{ return(['job_title', 'industry', 'country_code', 'lead_source', 'employee_count', 'email_domain',
        'email_domain_type']) }}
{%- endmacro %}

{#- Operators of a fit rule (docs/funnel_rules.md §4): equals, in ('|'-separated), contains (substring), between
    ('lo|hi', inclusive, numeric), is_null. The seed test fit_rule_operator_is_known accepts only
    these; fit_rule_matches should implement exactly these. -#}
{% macro known_fit_operators() -%}
    {{ return(['equals', 'in', 'contains', 'between', 'is_null']) }}
{%- endmacro %}

{#- Buying roles a rule of seed buying_role_rules may give (docs/funnel_rules.md §8); a contact no rule
    matches is a `member`, which a rule may also name. The seed test buying_role_is_known accepts
    only these. -#}
{% macro known_buying_roles() -%}
    {{ return(['decision_maker', 'influencer', 'member']) }}
{%- endmacro %}

{#- Attribution models of docs/funnel_rules.md §9, in the order the marts document them. -#}
{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'position_based', 'tipping_point']) }}
{%- endmacro %}

{#- Renders a Python list of strings as a SQL in-list: ('a', 'b'). -#}
{% macro sql_in_list(values) -%}
    ({% for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
