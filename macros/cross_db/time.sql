{#- Fractional seconds since the Unix epoch of a timestamp (without time zone, read as UTC). -#}
{% macro epoch_seconds(timestamp_expression) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'lead_funnel')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__epoch_seconds(timestamp_expression) -%}
    cast(extract(epoch from {{ timestamp_expression }}) as {{ lead_funnel.type_double() }})
{%- endmacro %}

{% macro duckdb__epoch_seconds(timestamp_expression) -%}
    epoch({{ timestamp_expression }})
{%- endmacro %}

{#- A double, as on the other engines: Spark reads `1000000.0` as a decimal, and decimal
    arithmetic downstream (days since an anchor / half-life) keeps only 6 decimals, which moved
    decayed scores by ~1e-7 relative. -#}
{% macro spark__epoch_seconds(timestamp_expression) -%}
    (cast(unix_micros({{ timestamp_expression }}) as double) / 1000000)
{%- endmacro %}


{#- Fractional hours / days from `start` to `end` (negative when end is earlier). -#}
{% macro hours_between(start_expression, end_expression) -%}
    (({{ lead_funnel.epoch_seconds(end_expression) }} - {{ lead_funnel.epoch_seconds(start_expression) }}) / 3600.0)
{%- endmacro %}

{% macro days_between(start_expression, end_expression) -%}
    (({{ lead_funnel.epoch_seconds(end_expression) }} - {{ lead_funnel.epoch_seconds(start_expression) }}) / 86400.0)
{%- endmacro %}


{#- Parse loose ISO-8601 text into a UTC timestamp without time zone, or null when it cannot
    be parsed. A trailing `Z` or `+HH:MM` / `+HHMM` / `+HH` offset is applied (engines such as
    DuckDB silently drop it on a plain cast); text without an offset is taken as UTC. -#}
{% macro parse_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'lead_funnel')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(expression) -%}
    {%- set text = "nullif(trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    {%- set with_offset = "^(.*[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]+)?)?)[ ]*(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)$" -%}
    {%- set offset_text = "replace(" ~ lead_funnel.regex_extract(text, with_offset, 2) ~ ", ':', '')" -%}
    case
        when {{ lead_funnel.regex_matches(text, with_offset) }}
            then {{ lead_funnel.add_minutes(
                "-1 * (case when upper(" ~ offset_text ~ ") = 'Z' then 0 else"
                    ~ " (case when substring(" ~ offset_text ~ ", 1, 1) = '-' then -1 else 1 end)"
                    ~ " * (cast(substring(" ~ offset_text ~ ", 2, 2) as integer) * 60"
                    ~ " + coalesce(cast(nullif(substring(" ~ offset_text ~ ", 4, 2), '') as integer), 0)) end)",
                dbt.safe_cast(lead_funnel.regex_extract(text, with_offset, 1), dbt.type_timestamp())
            ) }}
        else {{ dbt.safe_cast(text, dbt.type_timestamp()) }}
    end
{%- endmacro %}


{#- DuckDB parses ISO-8601 offsets natively when casting to timestamptz (+HH:MM, +HHMM, +HH, Z),
    and timezone('UTC', ...) turns the instant into UTC wall time whatever the session time
    zone: one regular-expression test per value instead of the default's six. Text the native
    cast refuses (a lower-case z, a space before the offset, an impossible date) falls back to the
    default parse, so both give the same result; text without an offset is cast as a plain
    timestamp (taken as UTC), as in the default. -#}
{% macro duckdb__parse_timestamp_utc(expression) -%}
    {%- set text = "nullif(trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    case
        when regexp_matches({{ text }}, '[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?[ ]*([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then coalesce(
                timezone('UTC', try_cast({{ text }} as timestamptz)),
                {{ lead_funnel.default__parse_timestamp_utc(expression) }}
            )
        else try_cast({{ text }} as timestamp)
    end
{%- endmacro %}


{#- PostgreSQL: one anchored regular expression decides whether the text is an ISO date-time that
    a plain cast accepts (a valid calendar date; hours 00-23, minutes and seconds 00-59; years
    0001-9999; 29 February and other odd text excepted) and then casts it: to timestamp when it has
    no offset, to timestamptz when it ends in Z or a +HH:MM / +HHMM / +HH offset of at most 14
    hours, turned into UTC wall time. Both casts are exactly what the default parse computes for
    such text, without its six regular expressions and the exception-catching helper per value
    (most of PostgreSQL's build time). The form with an offset is tested first: extracts mostly
    end in Z. The two forms exclude each other, so the order changes no value. Any other text
    takes the default parse. -#}
{% macro postgres__parse_timestamp_utc(expression) -%}
    {%- set text = "nullif(trim(cast(" ~ expression ~ " as text)), '')" -%}
    {%- set plain_date = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)" -%}
    {%- set plain_time = "[ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?" -%}
    {%- set plain_offset = "(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)" -%}
    case
        when {{ text }} ~ '^{{ plain_date }}{{ plain_time }}{{ plain_offset }}$'
            then cast({{ text }} as timestamptz) at time zone 'UTC'
        when {{ text }} ~ '^{{ plain_date }}({{ plain_time }})?$'
            then cast({{ text }} as timestamp)
        else {{ lead_funnel.default__parse_timestamp_utc(expression) }}
    end
{%- endmacro %}


{#- `timestamp_expression` plus `minutes_expression` minutes, to the microsecond. dbt.dateadd on
    Spark goes through unix_timestamp(), which drops the fraction of a second; timestampadd keeps
    it. -#}
{% macro add_minutes(minutes_expression, timestamp_expression) -%}
    {{ return(adapter.dispatch('add_minutes', 'lead_funnel')(minutes_expression, timestamp_expression)) }}
{%- endmacro %}

{% macro default__add_minutes(minutes_expression, timestamp_expression) -%}
    {{ dbt.dateadd('minute', minutes_expression, timestamp_expression) }}
{%- endmacro %}

{% macro spark__add_minutes(minutes_expression, timestamp_expression) -%}
    timestampadd(MINUTE, {{ minutes_expression }}, {{ timestamp_expression }})
{%- endmacro %}
