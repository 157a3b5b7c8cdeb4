{#- A fingerprint of everything besides the raw rows that the funnel depends on: the project's
    vars (but as_of, which the refresh handles itself, and refresh_lookback_hours) and the
    content of the scoring-rule seeds. When it differs from the previous checkpoint's, an
    incremental build recomputes every contact. SQL expression (text). -#}
{% macro config_fingerprint() -%}
    {%- set ignored = ['as_of', 'refresh_lookback_hours'] -%}
    {%- set var_parts = [] -%}
    {%- for name in lead_funnel.lead_funnel_var_defaults().keys() | sort if name not in ignored -%}
        {%- do var_parts.append(name ~ '=' ~ var(name, none)) -%}
    {%- endfor -%}
    {%- set parts = ["'" ~ dbt.escape_single_quotes(var_parts | join(';')) ~ "'"] -%}
    {%- for seed_name in ['fit_scoring_rules', 'behavioral_scoring_rules', 'personal_email_domains'] -%}
        {%- set seed = ref(seed_name) -%}
        {%- set columns = adapter.get_columns_in_relation(seed) | map(attribute='name') | list if execute else [] -%}
        {%- set row_parts = [] -%}
        {%- for column in columns | sort -%}
            {%- do row_parts.append("coalesce(cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ "), '')") -%}
            {%- if not loop.last %}{% do row_parts.append("'|'") %}{% endif -%}
        {%- endfor -%}
        {%- set row_text = dbt.concat(row_parts) if row_parts | length > 1 else (row_parts[0] if row_parts else "''") -%}
        {%- do parts.append("coalesce((select " ~ dbt.listagg(row_text, "';'", "order by " ~ row_text) ~ " from " ~ seed ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
