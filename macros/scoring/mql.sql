{#- Is a scored moment an MQL moment? (SPEC §4) The score crosses var mql_threshold, or a
    hand-raiser event at that moment qualifies with fit_score >= var hand_raiser_min_fit. The
    "no disqualification at or before t" and "earliest per cycle" parts are applied by the model. -#}
{% macro is_over_mql_threshold(total_score) -%}
    ({{ total_score }} >= {{ var('mql_threshold') }} - {{ lead_funnel.score_tolerance() }})
{%- endmacro %}

{% macro is_qualifying_hand_raiser(has_hand_raiser, fit_score) -%}
    ({{ has_hand_raiser }} and {{ fit_score }} >= {{ var('hand_raiser_min_fit') }})
{%- endmacro %}

{#- hand_raiser when the hand-raiser qualified the contact and the score alone did not. -#}
{% macro mql_reason(total_score) -%}
    case when {{ lead_funnel.is_over_mql_threshold(total_score) }} then 'score_threshold' else 'hand_raiser' end
{%- endmacro %}
