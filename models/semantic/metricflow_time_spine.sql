{#- MetricFlow's time spine (models/semantic/_semantic__models.yml): one row per UTC day from
    2000-01-01 to 2049-12-31, built from a cross join of digits so that it runs on every engine
    of the profile (DuckDB, PostgreSQL, Spark) without a generate_series. MetricFlow reads it for
    conversion metrics and for time offsets; the marts do not depend on it. -#}
{{ config(materialized='table', schema='semantic') }}
{#- like every model, built only once the scoring-rule seeds passed their tests #}
{{ require_valid_scoring_rules() }}

with

digits as (

    {% for digit in range(10) %}
        select {{ digit }} as digit
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

day_numbers as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

final as (

    select cast({{ dbt.dateadd('day', 'day_number', "cast('2000-01-01' as date)") }} as date) as date_day
    from day_numbers
    -- 18,263 days: 2000-01-01 .. 2049-12-31 (13 leap years among 2000..2049, 50 * 365 + 13).
    where day_number < 18263

)

select * from final
