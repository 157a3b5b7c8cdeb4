{#- Weight of a point earned `age_days` ago: 0.5 ^ (age / score_half_life_days); 1 when the
    half-life var is null (no decay). -#}
{% macro decay_factor(age_days) -%}
    {%- set half_life = var('score_half_life_days', none) -%}
    {%- if half_life is none -%}
        1.0
    {%- else -%}
        power(0.5, ({{ age_days }}) / {{ half_life }})
    {%- endif -%}
{%- endmacro %}


{#- Decayed running sum at every row's own time, in one ordered pass (no self-join):
        S(t) = sum over s <= t of p_s * 0.5 ^ ((t - s) / H)
             = 2 ^ (-d_t / H) * sum over s <= t of p_s * 2 ^ (d_s / H)
    where d is the time in days since an anchor (the first event of the partition), which keeps
    the powers small. The RANGE frame makes every row at the same instant count (ties). With no
    half-life it is a plain running sum. Limit: the partition's span should stay under ~1000
    half-lives (2^1000 overflows a double). -#}
{% macro decayed_running_sum(points, days_since_anchor, partition_by, order_by) -%}
    {%- set half_life = var('score_half_life_days', none) -%}
    {%- set frame = "over (partition by " ~ partition_by ~ " order by " ~ order_by
        ~ " range between unbounded preceding and current row)" -%}
    {%- if half_life is none -%}
        sum({{ points }}) {{ frame }}
    {%- else -%}
        sum({{ points }} * power(2.0, ({{ days_since_anchor }}) / {{ half_life }})) {{ frame }}
        * power(2.0, -1.0 * ({{ days_since_anchor }}) / {{ half_life }})
    {%- endif -%}
{%- endmacro %}


{#- Apply var max_engagement_score (null = no cap). -#}
{% macro capped_engagement_score(score_expression) -%}
    {%- set cap = var('max_engagement_score', none) -%}
    {%- if cap is none -%}
        {{ score_expression }}
    {%- else -%}
        least({{ cap }}, {{ score_expression }})
    {%- endif -%}
{%- endmacro %}


{#- Scores are doubles: a threshold is crossed when the score is within this tolerance of it, so
    that 2^(x) * 2^(-x) rounding cannot hide an exact crossing. -#}
{% macro score_tolerance() -%}
    0.000000001
{%- endmacro %}
