{#- Makes the calling model depend on the scoring-rule seeds, so that in `dbt build` their tests
    (unknown operator or attribute, a `between` that is not two numbers, a negative
    max_per_day, ...) run before it, and a failing one skips it. Every base model and every
    connector adapter calls it: with bad configuration no model runs at all, and the failing test
    names the problem. It also keeps every model after the seeds, whose content each model's
    build-ledger hooks read (macros/refresh/config_fingerprint.sql) and which a --full-refresh
    build re-creates. -#}
{% macro require_valid_scoring_rules() -%}
    -- depends_on: {{ ref('fit_scoring_rules') }}, {{ ref('behavioral_scoring_rules') }}, {{ ref('personal_email_domains') }}
{%- endmacro %}
