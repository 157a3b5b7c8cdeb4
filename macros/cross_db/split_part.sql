{#- dbt-spark's split_part indexes the array with `[n]`, which Spark's ANSI mode (the default
    since Spark 4) turns into an error when the text has fewer parts; every other engine returns
    an empty or null part. `get()` returns null there. The delimiter is matched literally
    (\Q...\E), as split_part does elsewhere. Counting from the end keeps dbt-spark's version. -#}
{% macro spark__split_part(string_text, delimiter_text, part_number) -%}
    {%- if part_number > 0 -%}
        get(split({{ string_text }}, concat('\\Q', {{ delimiter_text }}, '\\E')), {{ part_number - 1 }})
    {%- else -%}
        {{ return(dbt.spark__split_part(string_text, delimiter_text, part_number)) }}
    {%- endif -%}
{%- endmacro %}
