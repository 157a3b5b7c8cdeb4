{#- Trimmed text with blank turned into null; works on native and text columns alike. -#}
{% macro clean_text(expression) -%}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{#- Trimmed, lower-cased text with blank turned into null (codes, types, e-mail addresses). -#}
{% macro clean_code(expression) -%}
    lower({{ lead_funnel.clean_text(expression) }})
{%- endmacro %}


{#- Loose boolean text: true/1/yes (any case) is true; false/0/no, blank and anything else is false. -#}
{% macro parse_boolean(expression) -%}
    coalesce({{ lead_funnel.clean_code(expression) }} in ('true', '1', 'yes'), false)
{%- endmacro %}


{#- Whole number written as text (optional sign), else null: '1,000', '12.5' and 'n/a' are null. -#}
{% macro parse_integer(expression) -%}
    case
        when {{ lead_funnel.regex_matches(lead_funnel.clean_text(expression), '^[+-]?[0-9]{1,18}$') }}
            then cast({{ lead_funnel.clean_text(expression) }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}


{#- Decimal number written as text, else null ('tbd', '1,000.00' are null). -#}
{% macro parse_decimal(expression) -%}
    case
        when {{ lead_funnel.regex_matches(lead_funnel.clean_text(expression), '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$') }}
            then cast({{ lead_funnel.clean_text(expression) }} as {{ lead_funnel.type_double() }})
    end
{%- endmacro %}


{#- The raw row as readable text `column=value; ...`, kept on quarantined rows. The columns in
    `email_columns` are written as redacted_email() (the domain only): the data-quality models
    must not carry personal data. -#}
{% macro raw_record_text(columns, email_columns=[]) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("'" ~ column ~ "='") -%}
        {%- if column in email_columns -%}
            {%- do parts.append("coalesce(" ~ lead_funnel.redacted_email(column) ~ ", '')") -%}
        {%- else -%}
            {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- endif -%}
        {%- if not loop.last %}{% do parts.append("'; '") %}{% endif -%}
    {%- endfor -%}
    {{ lead_funnel.concat_texts(parts) }}
{%- endmacro %}


{#- An e-mail address without its local part: '***@' and the text after the last '@'
    ('ann.lee@acme.com' -> '***@acme.com'); text without an '@' becomes '***'; blank stays null. -#}
{% macro redacted_email(expression) -%}
    {%- set text = lead_funnel.clean_code(expression) -%}
    case
        when {{ text }} is null then null
        when {{ dbt.position("'@'", text) }} = 0 then '***'
        else {{ dbt.concat(["'***@'", "coalesce(" ~ lead_funnel.regex_extract(text, '@([^@]*)$', 1) ~ ", '')"]) }}
    end
{%- endmacro %}


{#- Texts joined in one call, `concat(a, b, ...)`, for expressions that are never null. DuckDB's
    dbt.concat chains `||`, which copies the growing text at every step: one call is several
    times faster on a raw record of twenty parts (DuckDB, PostgreSQL and Spark all have it). -#}
{% macro concat_texts(parts) -%}
    concat({{ parts | join(', ') }})
{%- endmacro %}


{#- Every row of `rows` with `number_column`: 1 where its `key` occurs once, else its
    row_number() over (partition by `partition_by` order by `order_by`) among the rows of
    `repeated_keys` (a relation of the keys that occur more than once). Only those rows are
    sorted: nearly all rows pass through. Joins, not `in (select ...)`, which PostgreSQL may run
    as a scan of the subquery per row. -#}
{% macro number_where_repeated(rows, repeated_keys, key, partition_by, order_by, number_column) -%}
    select
        {{ rows }}.*,
        cast(1 as {{ dbt.type_bigint() }}) as {{ number_column }}
    from {{ rows }}
    left join {{ repeated_keys }}
        on {{ rows }}.{{ key }} = {{ repeated_keys }}.{{ key }}
    where {{ repeated_keys }}.{{ key }} is null
    union all
    select
        {{ rows }}.*,
        row_number() over (
            partition by {{ partition_by }}
            order by {{ order_by }}
        ) as {{ number_column }}
    from {{ rows }}
    inner join {{ repeated_keys }}
        on {{ rows }}.{{ key }} = {{ repeated_keys }}.{{ key }}
{%- endmacro %}
