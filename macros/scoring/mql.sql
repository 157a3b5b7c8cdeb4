{#- Is a scored moment an MQL moment? (docs/funnel_rules.md §4) The score crosses var mql_threshold, or a
    hand-raiser event at that moment qualifies with fit_score >= var hand_raiser_min_fit. The
    "no disqualification at or before t" and "earliest per cycle" parts are applied by the model. -#}
{% macro is_over_mql_threshold(total_score) -%}
    ({{ total_score }} >= {{ var('mql_threshold') }} - {{ lead_funnel.score_tolerance() }})
{%- endmacro %}

{% macro is_qualifying_hand_raiser(has_hand_raiser, fit_score) -%}
    ({{ has_hand_raiser }} and {{ fit_score }} >= {{ var('hand_raiser_min_fit') }})
{%- endmacro %}

{#- Does the product score make a PQL at this moment? (docs/funnel_rules.md §4) product_score >= var
    pql_threshold (within score_tolerance()) and fit_score >= var pql_min_fit; never when
    pql_threshold is null (no product path). -#}
{% macro is_over_pql_threshold(product_score, fit_score) -%}
    {%- set threshold = var('pql_threshold', none) -%}
    {%- if threshold is none -%}
        false
    {%- else -%}
        ({{ product_score }} >= {{ threshold }} - {{ lead_funnel.score_tolerance() }}
        and {{ fit_score }} >= {{ var('pql_min_fit') }})
    {%- endif -%}
{%- endmacro %}

{#- Why the moment is an MQL moment: score_threshold when the score crosses the bar, else
    hand_raiser when a qualifying hand-raiser event is at it, else product_usage (the PQL
    moment). -#}
{% macro mql_reason(total_score, has_hand_raiser, fit_score) -%}
    case
        when {{ lead_funnel.is_over_mql_threshold(total_score) }} then 'score_threshold'
        when {{ lead_funnel.is_qualifying_hand_raiser(has_hand_raiser, fit_score) }} then 'hand_raiser'
        else 'product_usage'
    end
{%- endmacro %}
