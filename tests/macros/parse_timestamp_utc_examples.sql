{#- parse_timestamp_utc on loose timestamp text, every engine's version (PostgreSQL and DuckDB
    take a fast path for well-formed text and fall back to the default parse): each example's
    expected UTC value was worked out by hand from the rule (offset subtracted, no offset = UTC,
    anything that is not a valid date-time = null). Returns the examples parsed otherwise. -#}
{%- set examples = [
    ('2024-03-10T12:34:56Z', '2024-03-10 12:34:56'),
    ('2024-03-10 12:34:56', '2024-03-10 12:34:56'),
    ('  2024-03-10T12:34:56  ', '2024-03-10 12:34:56'),
    ('2024-03-10T12:34Z', '2024-03-10 12:34:00'),
    ('2024-03-10T12:34:56.123456Z', '2024-03-10 12:34:56.123456'),
    ('2024-03-10T12:34:56+02:00', '2024-03-10 10:34:56'),
    ('2024-03-10T12:34:56+0530', '2024-03-10 07:04:56'),
    ('2024-03-10T12:34:56-03', '2024-03-10 15:34:56'),
    ('2024-03-10T23:30:00-02:00', '2024-03-11 01:30:00'),
    ('2024-03-10T12:34:56+14:00', '2024-03-09 22:34:56'),
    ('2024-03-10T12:34:56z', '2024-03-10 12:34:56'),
    ('2024-03-10 12:34:56 +01:00', '2024-03-10 11:34:56'),
    ('2024-01-31', '2024-01-31 00:00:00'),
    ('2024-12-31T23:59:59Z', '2024-12-31 23:59:59'),
    ('2024-02-29T10:00:00Z', '2024-02-29 10:00:00'),
    ('2024-04-30T10:00:00+01:00', '2024-04-30 09:00:00'),
    ('2023-02-29T10:00:00Z', none),
    ('2024-04-31 10:00:00', none),
    ('2024-13-01', none),
    ('2024-03-10T25:00:00Z', none),
    ('yesterday', none),
    ('not a date', none),
    ('', none),
] -%}

with

examples as (

    {% for text, expected in examples %}
        select
            '{{ text }}' as raw_text,
            {% if expected is none -%}
                cast(null as {{ dbt.type_timestamp() }})
            {%- else -%}
                cast('{{ expected }}' as {{ dbt.type_timestamp() }})
            {%- endif %} as expected_at
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

parsed as (

    select
        raw_text,
        expected_at,
        {{ parse_timestamp_utc('raw_text') }} as parsed_at
    from examples

),

final as (

    select *
    from parsed
    where parsed_at is distinct from expected_at

)

select * from final
