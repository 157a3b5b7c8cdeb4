{#- Custom incremental strategies (config incremental_strategy), DuckDB and PostgreSQL. Each
    deletes what the build recomputes, then inserts the recomputed rows: rows that disappear
    (a handoff a late disqualification cancels, a cycle a rejection merges) are removed too,
    which dbt's delete+insert, keyed on the new rows only, would leave behind. -#}

{#- refresh_contacts: every row of the refreshed contacts (unique_key names the key column). -#}
{% macro get_incremental_refresh_contacts_sql(arg_dict) -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ arg_dict['unique_key'] }} in (select refresh_key from {{ lead_funnel.refresh_keys_relation() }});
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#- load_window: every raw row inside the load window (unique_key names the parsed
    _loaded_at column). -#}
{% macro get_incremental_load_window_sql(arg_dict) -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ lead_funnel.in_load_window(arg_dict['unique_key']) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
