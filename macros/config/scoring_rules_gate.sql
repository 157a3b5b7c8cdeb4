{#- Makes the calling model depend on the scoring-rule seeds, so that in `dbt build` their tests
    (unknown operator or attribute, a `between` that is not two numbers, a negative
    max_per_day, ...) run before it, and a failing one skips it. Every base model calls it:
    with bad configuration no model runs at all, and the failing test names the problem. -#}
{% macro require_valid_scoring_rules() -%}
    -- depends_on: {{ ref('fit_scoring_rules') }}, {{ ref('behavioral_scoring_rules') }}, {{ ref('personal_email_domains') }}
{%- endmacro %}
