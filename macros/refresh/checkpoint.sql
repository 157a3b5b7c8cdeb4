{#- The daily refresh's state (docs/funnel_rules.md §7). refresh_checkpoint holds, one row
    per parsed model, the last *complete* build: the dbt invocation it ran in (state_invocation_id),
    its as_of, its configuration fingerprint, and the largest parsed_batch and the row count of
    the parsed model it processed. It advances only in a build where every incremental model
    succeeded. The next build reads it back here, without ref() (no DAG edge):
    - refresh_scope: which contacts refresh_contact_keys lists (every one, or the changed ones);
    - incremental_state_problem: whether an incremental model may run incrementally, i.e. its
      table is exactly the state of the checkpoint's build and refresh_contact_keys was computed
      against that state in this invocation. Otherwise it recomputes every contact. -#}

{#- The models whose raw rows the refresh tracks, each with its row key and the business
    timestamps whose crossing of as_of changes a row. -#}
{% macro parsed_models() -%}
    {{ return([
        ('base_crm__contacts_parsed', 'contact_id', ['created_at']),
        ('base_marketing__engagement_events_parsed', 'event_id', ['occurred_at']),
        ('base_crm__sales_activities_parsed', 'activity_id', ['occurred_at']),
        ('base_crm__opportunities_parsed', 'opportunity_id', ['created_at', 'closed_at_in_source']),
    ]) }}
{%- endmacro %}


{#- The relation of a model of this project (none when it has not been built yet). -#}
{% macro existing_model_relation(model_name) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema,
                                   identifier=node.alias or node.name)) }}
{%- endmacro %}


{#- The last complete build's checkpoint as a dict (state_invocation_id, as_of and
    config_fingerprint as text; batches and rows: parsed model -> number), or none: no complete
    build yet, or a checkpoint of an older layout. -#}
{% macro previous_refresh() -%}
    {%- set relation = lead_funnel.existing_model_relation('refresh_checkpoint') -%}
    {%- if relation is none -%}{{ return(none) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- for expected in ['parsed_model', 'state_invocation_id', 'as_of', 'config_fingerprint', 'parsed_batch', 'parsed_rows'] if expected not in columns -%}
        {{ return(none) }}
    {%- endfor -%}
    {%- set result = run_query(
        "select parsed_model, state_invocation_id, cast(as_of as " ~ dbt.type_string() ~ "), config_fingerprint, "
        ~ "parsed_batch, parsed_rows from " ~ relation) -%}
    {%- set batches = {} -%}
    {%- set rows = {} -%}
    {%- for row in result.rows -%}
        {%- do batches.update({row[0]: row[4] | int}) -%}
        {%- do rows.update({row[0]: row[5] | int}) -%}
    {%- endfor -%}
    {%- if result.rows | length != lead_funnel.parsed_models() | length
        or result.rows | map(attribute=1) | unique | list | length != 1 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set first = result.rows[0] -%}
    {{ return({'state_invocation_id': first[1], 'as_of': first[2], 'config_fingerprint': first[3],
               'batches': batches, 'rows': rows}) }}
{%- endmacro %}


{#- Which contacts this build refreshes: {'is_every_contact': bool, 'reason': text or none}.
    Every contact when there is no complete build yet, the vars or scoring-rule seeds changed,
    or a parsed model no longer holds exactly the rows the last complete build processed (its
    rows up to that build's batch: raw rows replaced, or the model rebuilt on its own). -#}
{% macro refresh_scope() -%}
    {%- set previous = lead_funnel.previous_refresh() -%}
    {%- if previous is none -%}
        {{ return({'is_every_contact': true, 'reason': 'no complete build recorded (first build, or the state of an older version)'}) }}
    {%- endif -%}
    {%- if lead_funnel.config_fingerprint() != previous.config_fingerprint -%}
        {{ return({'is_every_contact': true, 'reason': 'the vars or the scoring-rule seeds changed'}) }}
    {%- endif -%}
    {%- set counts = [] -%}
    {%- for model_name, key_column, timestamp_columns in lead_funnel.parsed_models() -%}
        {%- do counts.append("select '" ~ model_name ~ "' as parsed_model, sum(case when parsed_batch <= "
            ~ previous.batches[model_name] ~ " then 1 else 0 end) as kept_rows from " ~ ref(model_name)) -%}
    {%- endfor -%}
    {%- for row in run_query(counts | join(' union all ')).rows -%}
        {%- if (row[1] or 0) | int != previous.rows[row[0]] -%}
            {{ return({'is_every_contact': true, 'reason': row[0] ~ ' no longer holds the rows the last complete build '
                ~ 'processed (raw rows replaced, or the model rebuilt on its own)'}) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'is_every_contact': false, 'reason': none}) }}
{%- endmacro %}


{#- None when this incremental model may recompute only the contacts of refresh_contact_keys,
    else the reason it must recompute every contact: its table must be exactly the state of the
    last complete build (it last succeeded in that build's invocation, and no later build
    stopped while rebuilding it), and refresh_contact_keys must have been computed against that
    state in this invocation, for the changed contacts only. -#}
{% macro incremental_state_problem() -%}
    {%- set previous = lead_funnel.previous_refresh() -%}
    {%- if previous is none -%}{{ return('no complete build recorded yet') }}{%- endif -%}
    {%- set ledger = lead_funnel.build_ledger_rows([model.name, 'refresh_contact_keys']) -%}
    {%- set own = ledger[model.name] -%}
    {%- set keys = ledger['refresh_contact_keys'] -%}
    {%- if own.succeeded is none or own.succeeded.invocation_id != previous.state_invocation_id -%}
        {{ return('its table was last built by another build than the last complete one (a partial, failed or stopped build since)') }}
    {%- elif own.started is not none and own.started.invocation_id != invocation_id -%}
        {{ return('a build stopped while rebuilding it') }}
    {%- elif keys.succeeded is none or keys.succeeded.invocation_id != invocation_id -%}
        {{ return('refresh_contact_keys was not computed by this build') }}
    {%- elif keys.succeeded.detail is not none -%}
        {{ return(keys.succeeded.detail) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- SQL: the number of rows of the project's raw source tables (those that exist), now. Looked up as relations (no
    DAG edge), so any model or hook may ask. -#}
{% macro raw_row_total() -%}
    {%- if not execute -%}{{ return('(0)') }}{%- endif -%}
    {%- set counts = [] -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') if source.package_name == project_name -%}
        {%- set relation = adapter.get_relation(
            database=source.database, schema=source.schema, identifier=source.identifier) -%}
        {%- if relation is not none -%}
            {%- do counts.append('(select count(*) from ' ~ relation ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    ({{ counts | join(' + ') if counts else '0' }})
{%- endmacro %}
