{#- A fingerprint of everything besides the raw rows that the funnel depends on: the project's
    vars (but as_of, which the refresh handles itself, and refresh_lookback_hours) and the
    content of the scoring-rule seeds, as an md5 hex text computed here (no engine SQL: Spark has
    no ordered string aggregate). When it differs from the previous checkpoint's, an incremental
    build recomputes every contact. Empty while dbt parses or before the seeds exist. -#}
{% macro config_fingerprint() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set ignored = ['as_of', 'refresh_lookback_hours'] -%}
    {%- set parts = [] -%}
    {%- for name in lead_funnel.lead_funnel_var_defaults().keys() | sort if name not in ignored -%}
        {%- do parts.append(name ~ '=' ~ var(name, none)) -%}
    {%- endfor -%}
    {%- for seed_name in ['fit_scoring_rules', 'behavioral_scoring_rules', 'personal_email_domains'] -%}
        {%- set rows = [] -%}
        {#- not built yet (dbt compile or docs on a fresh warehouse): nothing to fingerprint -#}
        {%- if load_relation(ref(seed_name)) is none -%}{{ return('') }}{%- endif -%}
        {%- for row in run_query('select * from ' ~ ref(seed_name)).rows -%}
            {%- do rows.append(row.values() | map('string') | join('|')) -%}
        {%- endfor -%}
        {%- do parts.append(seed_name ~ ':' ~ rows | sort | join(';')) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}
