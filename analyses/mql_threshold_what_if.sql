-- Weekly question: how many leads would have become MQLs at another threshold?
-- Compile with e.g. --vars '{what_if_mql_thresholds: [60, 80, 100, 120]}'. Counts contacts
-- whose fit + engagement reached the threshold at some matched-event instant of any cycle
-- (hand-raisers are not counted as such: they qualify whatever the threshold).
{% set thresholds = var('what_if_mql_thresholds', [60, 80, 100, 120]) %}

with

moments as (

    select * from {{ ref('int_engagement_moments_scored') }}

),

fit_scores as (

    select * from {{ ref('int_contacts_fit_scored') }}

),

peak_scores as (

    select
        moments.contact_id,
        max(fit_scores.fit_score + moments.engagement_score) as peak_total_score
    from moments
    inner join fit_scores
        on moments.contact_id = fit_scores.contact_id
    group by moments.contact_id

),

final as (

    {% for threshold in thresholds %}
        select
            {{ threshold }} as mql_threshold,
            count(case when peak_total_score >= {{ threshold }} then 1 end) as contacts_reaching_it
        from peak_scores
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
order by mql_threshold
