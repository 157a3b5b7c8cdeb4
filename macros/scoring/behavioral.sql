{#- Does an event match a behavioural rule? event_type equal (trimmed, case-insensitive) and the
    rule's url_contains blank or contained in page_url (case-insensitive). -#}
{% macro behavioral_rule_matches(event_type, page_url, rule_event_type, rule_url_contains) -%}
    (
        {{ event_type }} = lower(trim({{ rule_event_type }}))
        and (
            nullif(trim({{ rule_url_contains }}), '') is null
            or coalesce({{ dbt.position(
                "lower(trim(" ~ rule_url_contains ~ "))",
                "lower(trim(" ~ page_url ~ "))") }} > 0, false)
        )
    )
{%- endmacro %}


{#- Points an event earns under a rule's per-day cap: only the first `max_per_day` matching
    events per (partition_by) — contact, rule and UTC day — ordered by order_by earn points;
    a null cap earns every time. -#}
{% macro capped_points(points, max_per_day, partition_by, order_by) -%}
    case
        when {{ max_per_day }} is null then {{ points }}
        when row_number() over (partition by {{ partition_by }} order by {{ order_by }}) <= {{ max_per_day }}
            then {{ points }}
        else 0
    end
{%- endmacro %}
