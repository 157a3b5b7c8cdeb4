{#- on-run-start: check every tunable before any model runs; a bad value stops the run with a
    message that names the var. Returns a no-op statement for the hook. -#}
{% macro validate_lead_funnel_vars() -%}
    {%- set problems = [] -%}
    {%- set numeric_vars = {
        'mql_threshold': false, 'hand_raiser_min_fit': false, 'score_half_life_days': true,
        'max_engagement_score': true, 'fit_grade_a': false, 'fit_grade_b': false,
        'fit_grade_c': false, 'handoff_sla_hours': false, 'sql_min_bant': false
    } -%}
    {%- for name, nullable in numeric_vars.items() -%}
        {%- set value = var(name, none) -%}
        {%- if value is none -%}
            {%- if not nullable -%}{%- do problems.append(name ~ ' must be set (got null)') -%}{%- endif -%}
        {%- elif value is not number or value is boolean -%}
            {%- do problems.append(name ~ " must be a number (got '" ~ value ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems | length == 0 -%}
        {%- set half_life = var('score_half_life_days', none) -%}
        {%- if half_life is not none and half_life <= 0 -%}
            {%- do problems.append('score_half_life_days must be > 0 or null for no decay (got ' ~ half_life ~ ')') -%}
        {%- endif -%}
        {%- if var('handoff_sla_hours') < 0 -%}
            {%- do problems.append('handoff_sla_hours must be >= 0 (got ' ~ var('handoff_sla_hours') ~ ')') -%}
        {%- endif -%}
        {%- if var('sql_min_bant') < 0 or var('sql_min_bant') > 4 -%}
            {%- do problems.append('sql_min_bant must be between 0 and 4 (got ' ~ var('sql_min_bant') ~ ')') -%}
        {%- endif -%}
        {%- if not (var('fit_grade_a') >= var('fit_grade_b') >= var('fit_grade_c')) -%}
            {%- do problems.append('fit grades must satisfy fit_grade_a >= fit_grade_b >= fit_grade_c') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error('lead_funnel: invalid vars: ' ~ problems | join('; ')) }}
    {%- endif -%}
    {#- Parsing as_of raises on a malformed value. -#}
    {%- set as_of_value = lead_funnel.as_of_text() -%}
    select 1 as lead_funnel_vars_are_valid
{%- endmacro %}
