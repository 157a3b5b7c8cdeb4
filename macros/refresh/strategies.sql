{#- Custom incremental strategies (config incremental_strategy), DuckDB and PostgreSQL; Spark
    rebuilds these models as tables. See docs/funnel_rules.md §7. -#}

{#- refresh_contacts: every row of the refreshed contacts (unique_key names the key column) is
    deleted, then the recomputed rows inserted: rows that disappear (a handoff a late
    disqualification cancels, a cycle a rejection merges) go too, which dbt's delete+insert,
    keyed on the new rows only, would leave behind. When the previous state is not coherent
    (macros/refresh/checkpoint.sql, incremental_state_problem) the model was computed for every
    contact: every row is replaced, and the log says why. -#}
{% macro get_incremental_refresh_contacts_sql(arg_dict) -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set problem = lead_funnel.incremental_state_problem() -%}
    {%- if problem is none %}
    {#- which state the rows not rewritten come from: their data tests may be scoped to the
        refreshed contacts (macros/refresh/test_scope.sql) -#}
    {%- do lead_funnel.write_build_ledger('refreshed', detail=lead_funnel.previous_refresh().state_invocation_id) %}
    delete from {{ arg_dict['target_relation'] }}
    where {{ arg_dict['unique_key'] }} in (select refresh_key from {{ lead_funnel.refresh_keys_relation() }});
    {%- else %}
    {%- do log("lead_funnel: " ~ model.name ~ " is recomputed for every contact: " ~ problem, info=true) %}
    delete from {{ arg_dict['target_relation'] }};
    {%- endif %}
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#- parsed_rows: append the raw rows parsed by this build (macros/refresh/parsed_rows.sql). When
    the model re-parsed every raw row (some parsed row vanished from raw: as many new rows as raw
    rows while the table is not empty), the table's rows are deleted first. -#}
{% macro get_incremental_parsed_rows_sql(arg_dict) -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set counts = run_query(
        'select (select count(*) from ' ~ arg_dict['temp_relation'] ~ '), (select count(*) from '
        ~ lead_funnel.parsed_raw_relation() ~ '), (select count(*) from ' ~ arg_dict['target_relation'] ~ ')').rows[0] -%}
    {%- if counts[0] == counts[1] and counts[2] > 0 %}
    {%- do log("lead_funnel: " ~ model.name ~ " holds rows the raw table no longer has (an extract "
        ~ "replaced or shrunk, not appended): every raw row is parsed again and every contact "
        ~ "recomputed", info=true) %}
    delete from {{ arg_dict['target_relation'] }};
    {%- endif %}
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
