{#- lead_source from HubSpot's property_hs_analytics_source (docs/funnel_rules.md §10): lower-cased,
    with email_marketing -> email, social_media and paid_social -> social, referrals -> referral,
    direct_traffic -> direct, offline -> events, other_campaigns -> other; organic_search,
    paid_search and any other value pass lower-cased (blank -> null, which staging reads as
    unknown). -#}
{% macro hubspot_lead_source(expression) -%}
    {{ return(adapter.dispatch('hubspot_lead_source', 'lead_funnel')(expression)) }}
{%- endmacro %}

{% macro default__hubspot_lead_source(expression) -%}
    {%- set readings = {
        'email_marketing': 'email', 'social_media': 'social', 'paid_social': 'social',
        'referrals': 'referral', 'direct_traffic': 'direct', 'offline': 'events',
        'other_campaigns': 'other'} -%}
    case {{ lead_funnel.clean_code(expression) }}
        {%- for value, lead_source in readings.items() %}
        when '{{ value }}' then '{{ lead_source }}'
        {%- endfor %}
        else {{ lead_funnel.clean_code(expression) }}
    end
{%- endmacro %}
