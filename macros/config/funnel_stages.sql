{#- The funnel's stages in waterfall order (SPEC §1), then the side states. The one list every
    model and test reads: the order breaks ties between stage entries at the same instant. -#}
{% macro funnel_stages() -%}
    {{ return(['lead', 'mql', 'sal', 'sql', 'opportunity', 'customer', 'recycled', 'disqualified']) }}
{%- endmacro %}

{#- The stages counted by funnel_volume_daily: the waterfall, without the side states. -#}
{% macro waterfall_stages() -%}
    {{ return(['lead', 'mql', 'sal', 'sql', 'opportunity', 'customer']) }}
{%- endmacro %}
