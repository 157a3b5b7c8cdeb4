{#- The funnel's stages in waterfall order (docs/funnel_rules.md §1), then the side states. The one list every
    model and test reads: the order breaks ties between stage entries at the same instant (a
    side-path entry sorts after them all). -#}
{% macro funnel_stages() -%}
    {{ return(['lead', 'mql', 'sal', 'sql', 'opportunity', 'customer', 'recycled', 'disqualified']) }}
{%- endmacro %}

{#- The side path recorded beside the waterfall (docs/funnel_rules.md §1): a PQL hands the lead to sales as an
    MQL; its entries are counted by funnel_volume_daily but are no stage of lead_stages or
    lead_stage_transitions. -#}
{% macro side_path_stages() -%}
    {{ return(['pql']) }}
{%- endmacro %}

{#- The stages counted by funnel_volume_daily, in funnel order: the waterfall without the side
    states, with the side path after mql (a PQL is handed to sales as an MQL). -#}
{% macro volume_stages() -%}
    {{ return(['lead', 'mql'] + lead_funnel.side_path_stages() + ['sal', 'sql', 'opportunity', 'customer']) }}
{%- endmacro %}
