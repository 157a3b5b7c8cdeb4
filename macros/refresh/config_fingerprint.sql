{#- A fingerprint of everything besides the raw rows that the funnel depends on: the project's
    vars (but as_of, which the refresh handles itself, and the quarantine test thresholds,
    which change no model) and the
    content of the scoring-rule seeds, as an md5 hex text computed here (no engine SQL: Spark has
    no ordered string aggregate). When it differs from the previous checkpoint's, an incremental
    build recomputes every contact. Empty while dbt parses or before the seeds exist. -#}
{% macro config_fingerprint() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set ignored = ['as_of', 'quarantine_warn_share', 'quarantine_error_share', 'quarantine_min_rows'] -%}
    {%- set parts = [] -%}
    {%- for name in lead_funnel.lead_funnel_var_defaults().keys() | sort if name not in ignored -%}
        {%- do parts.append(name ~ '=' ~ var(name, none)) -%}
    {%- endfor -%}
    {%- for seed_name in ['fit_scoring_rules', 'behavioral_scoring_rules', 'personal_email_domains'] -%}
        {%- set rows = [] -%}
        {#- looked up without ref() so that any model's hooks may ask (macros/refresh/build_ledger.sql) -#}
        {%- set node = graph.nodes.get('seed.' ~ project_name ~ '.' ~ seed_name) -%}
        {%- set relation = none if node is none else adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias or node.name) -%}
        {#- not built yet (dbt compile or docs on a fresh warehouse): nothing to fingerprint -#}
        {%- if relation is none -%}{{ return('') }}{%- endif -%}
        {%- for row in run_query('select * from ' ~ relation).rows -%}
            {%- do rows.append(row.values() | map('string') | join('|')) -%}
        {%- endfor -%}
        {%- do parts.append(seed_name ~ ':' ~ rows | sort | join(';')) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}
