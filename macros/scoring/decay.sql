{#- Weight of a point earned `age_days` ago: 0.5 ^ (age / score_half_life_days); 1 when the
    half-life var is null (no decay). Past 1000 half-lives the weight (< 1e-301) is taken as 0:
    PostgreSQL raises on floating-point underflow instead of returning 0. -#}
{% macro decay_factor(age_days) -%}
    {%- set half_life = var('score_half_life_days', none) -%}
    {%- if half_life is none -%}
        1.0
    {%- else -%}
        (case
            when ({{ age_days }}) / {{ half_life }} > 1000 then 0.0
            else power(0.5, ({{ age_days }}) / {{ half_life }})
        end)
    {%- endif -%}
{%- endmacro %}


{#- Decayed running sum at every row's own time, in one ordered pass (no self-join):
        S(t) = sum over s <= t of p_s * 0.5 ^ ((t - s) / H)
             = 2 ^ (-d_t / H) * sum over s <= t of p_s * 2 ^ (d_s / H)
    where d is the time in days since an anchor, which keeps the powers small. The RANGE frame
    makes every row at the same instant count (ties). With no half-life it is a plain running
    sum. The anchor must lie within decay_segment_days() of every row of the partition, or
    2 ^ (d / H) overflows a double: int_engagement_moments_scored splits long cycles into
    segments of that length and carries earlier segments forward. -#}
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


{#- Length in days of a decay segment: 512 half-lives, so that 2 ^ (d / H) stays below 2 ^ 512
    inside a segment (a double overflows near 2 ^ 1024). With no decay, one endless segment. -#}
{% macro decay_segment_days() -%}
    {%- set half_life = var('score_half_life_days', none) -%}
    {%- if half_life is none -%}
        null
    {%- else -%}
        ({{ half_life }} * 512.0)
    {%- endif -%}
{%- endmacro %}


{#- Weight at `days` of points anchored at `anchor_days` (both in days since the same origin):
    0.5 ^ ((days - anchor_days) / H), 1 with no decay. -#}
{% macro decay_between(anchor_days, days) -%}
    {{ lead_funnel.decay_factor("(" ~ days ~ ") - (" ~ anchor_days ~ ")") }}
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
