{#- The daily refresh keeps its state in a model, int_refresh_checkpoint, written at the end of
    every complete build: the as_of the marts were built at, the newest _loaded_at processed and a
    fingerprint of the configuration (vars and scoring-rule seeds). The next build reads it back
    here, before any model changes, to decide what to recompute. It is looked up as a relation,
    not through ref(), so that reading the previous build's state adds no edge to the DAG. -#}

{#- The relation of a model of this project (none when it has not been built yet). -#}
{% macro existing_model_relation(model_name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema,
                                   identifier=node.alias or node.name)) }}
{%- endmacro %}


{#- The previous complete build's checkpoint as a dict (as_of, loaded_watermark_at,
    config_fingerprint as text), or none: first build, no checkpoint yet, or raw tables that
    now hold fewer rows than the checkpoint counted (an extract replaced rather than appended:
    what was parsed no longer describes raw, so everything is read again). -#}
{% macro previous_refresh() -%}
    {%- set relation = lead_funnel.existing_model_relation('int_refresh_checkpoint') -%}
    {%- if relation is none -%}{{ return(none) }}{%- endif -%}
    {#- a checkpoint written by an older version of the project (other columns): start afresh -#}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- for expected in ['as_of', 'loaded_watermark_at', 'config_fingerprint', 'raw_rows'] if expected not in columns -%}
        {{ return(none) }}
    {%- endfor -%}
    {%- set result = run_query(
        "select cast(as_of as " ~ dbt.type_string() ~ "), cast(loaded_watermark_at as "
        ~ dbt.type_string() ~ "), config_fingerprint, case when " ~ lead_funnel.raw_row_total()
        ~ " < raw_rows then 1 else 0 end from " ~ relation) -%}
    {%- if result.rows | length != 1 or result.rows[0][3] == 1 -%}{{ return(none) }}{%- endif -%}
    {%- set row = result.rows[0] -%}
    {{ return({'as_of': row[0], 'loaded_watermark_at': row[1], 'config_fingerprint': row[2]}) }}
{%- endmacro %}


{#- SQL: the number of rows of the project's raw source tables, now. Looked up as relations (no
    DAG edge), so any model or strategy may ask. -#}
{% macro raw_row_total() -%}
    {%- if not execute -%}{{ return('(0)') }}{%- endif -%}
    {%- set counts = [] -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') if source.package_name == project_name -%}
        {%- set relation = api.Relation.create(
            database=source.database, schema=source.schema, identifier=source.identifier) -%}
        {%- do counts.append('(select count(*) from ' ~ relation ~ ')') -%}
    {%- endfor -%}
    ({{ counts | join(' + ') if counts else '0' }})
{%- endmacro %}
