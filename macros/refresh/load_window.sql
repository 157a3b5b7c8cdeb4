{#- The load window of an incremental build: raw rows whose _loaded_at is at or after
    (previous checkpoint's newest _loaded_at - var refresh_lookback_hours), and rows whose
    _loaded_at is blank or unparseable (they cannot be placed in time, so every build re-reads
    them). Late rows an EL tool delivers with a _loaded_at inside the lookback are picked up. -#}

{#- The window's start as a quoted UTC timestamp literal, or none: read everything (no
    checkpoint, or the previous build processed no dated row). -#}
{% macro load_window_start() -%}
    {%- set previous = lead_funnel.previous_refresh() -%}
    {%- if previous is none or previous.loaded_watermark_at is none -%}{{ return(none) }}{%- endif -%}
    {%- set watermark = modules.datetime.datetime.fromisoformat(previous.loaded_watermark_at[:19]) -%}
    {%- set start = watermark - modules.datetime.timedelta(hours=var('refresh_lookback_hours')) -%}
    {{ return("'" ~ start.strftime('%Y-%m-%d %H:%M:%S') ~ "'") }}
{%- endmacro %}


{#- Boolean SQL: is a row with this parsed _loaded_at inside the load window? -#}
{% macro in_load_window(loaded_at) -%}
    {%- set start = lead_funnel.load_window_start() -%}
    {%- if start is none -%}
        true
    {%- else -%}
        ({{ loaded_at }} is null or {{ loaded_at }} >= cast({{ start }} as {{ dbt.type_timestamp() }}))
    {%- endif -%}
{%- endmacro %}


{#- The filter of a model that reads raw rows: the load window on an incremental run, else
    `true` (everything). -#}
{% macro load_window_filter(loaded_at) -%}
    {%- if lead_funnel.is_refresh_run() -%}
        {{ lead_funnel.in_load_window(loaded_at) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
