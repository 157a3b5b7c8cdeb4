{#- The instant the funnel is evaluated at, as a UTC timestamp literal.
    var `as_of` (ISO-8601; an offset is converted to UTC, none means UTC) or, when null, the
    run's start time. A malformed value stops compilation with a message naming it. -#}
{% macro as_of_timestamp() -%}
    '{{ lead_funnel.as_of_text() }}'
{%- endmacro %}

{% macro as_of_text() -%}
    {%- set raw_value = var('as_of', none) -%}
    {%- if raw_value is none or (raw_value is string and raw_value | trim == '') -%}
        {%- set instant = run_started_at -%}
    {%- else -%}
        {%- set text = (raw_value | string) | trim -%}
        {%- set pattern = '^(\d{4})-(\d{2})-(\d{2})([T ](\d{2}):(\d{2})(:(\d{2})(\.\d{1,6})?)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?$' -%}
        {%- set match = modules.re.match(pattern, text) -%}
        {%- if not match -%}
            {{ exceptions.raise_compiler_error(
                "var as_of = '" ~ text ~ "' is not an ISO-8601 timestamp (expected e.g. 2025-12-31T00:00:00Z)") }}
        {%- endif -%}
        {%- set month = match.group(2) | int -%}
        {%- set day = match.group(3) | int -%}
        {%- set hour = (match.group(5) or '0') | int -%}
        {%- set minute = (match.group(6) or '0') | int -%}
        {%- set second = (match.group(8) or '0') | int -%}
        {%- if month < 1 or month > 12 or day < 1 or day > 31 or hour > 23 or minute > 59 or second > 59 -%}
            {{ exceptions.raise_compiler_error(
                "var as_of = '" ~ text ~ "' has an out-of-range date or time field") }}
        {%- endif -%}
        {%- set normalised = text | replace(' ', 'T') | replace('z', 'Z') -%}
        {%- if normalised.endswith('Z') -%}{%- set normalised = normalised[:-1] ~ '+00:00' -%}{%- endif -%}
        {%- set instant = modules.datetime.datetime.fromisoformat(normalised) -%}
    {%- endif -%}
    {%- if instant.tzinfo is not none -%}
        {%- set instant = instant.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{- instant.strftime('%Y-%m-%d %H:%M:%S.%f') -}}
{%- endmacro %}


{#- as_of as a SQL timestamp expression. -#}
{% macro as_of() -%}
    cast({{ lead_funnel.as_of_timestamp() }} as {{ dbt.type_timestamp() }})
{%- endmacro %}
