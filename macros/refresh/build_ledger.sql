{#- The build ledger (docs/funnel_rules.md §7): a table beside refresh_checkpoint, one or two
    rows per model: `succeeded` (the dbt invocation the model last succeeded in, with the
    as_of, configuration fingerprint and raw row count it was built at) and `started` (a build
    began the model and has not finished it; kept only while that build runs, or when it was
    stopped half-way); for the refresh_contacts models also `refreshed` (this build rewrote
    only the refreshed contacts, detail: the build the other rows come from) and `tested` (every
    data test passed on the model's state, macros/refresh/test_scope.sql). Hooks of every model write it (dbt_project.yml), inside the model's own
    transaction, so that a model's rows and its ledger rows change together. It lets
    - an incremental model run incrementally only from a coherent state
      (macros/refresh/checkpoint.sql, incremental_state_problem);
    - a partial build refuse to build a model on parents left at another as_of, configuration
      or raw data (stale_parent_problem), with the command that recovers.
    Nothing is written on Spark (its models are rebuilt as tables), in unit tests or under
    --empty (whose tables are empty: the `started` row stays and the next build recomputes). -#}

{% macro build_ledger_relation() -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.refresh_checkpoint') -%}
    {{ return(api.Relation.create(database=node.database, schema=node.schema,
                                  identifier='lead_funnel_build_ledger')) }}
{%- endmacro %}


{#- Does this run keep a ledger? Not on Spark, not while dbt parses. -#}
{% macro keeps_build_ledger() -%}
    {{ return(execute and target.type != 'spark') }}
{%- endmacro %}


{#- on-run-start: create the ledger when it does not exist. The DDL is the hook's own SQL, so it
    runs and commits as the other hooks do on every engine (a run_query of its own plus an
    explicit commit fails on PostgreSQL, where a hook has no open transaction). -#}
{% macro create_build_ledger() -%}
    {%- if lead_funnel.keeps_build_ledger() -%}
        {%- set relation = lead_funnel.build_ledger_relation() -%}
        {%- do adapter.create_schema(relation) -%}
        {#- created after dbt listed the schemas: tell its relation cache -#}
        {%- do adapter.cache_added(relation.incorporate(type='table')) -%}
        create table if not exists {{ relation }} (
            model_name {{ dbt.type_string() }},
            invocation_id {{ dbt.type_string() }},
            event {{ dbt.type_string() }},
            as_of {{ dbt.type_string() }},
            config_fingerprint {{ dbt.type_string() }},
            raw_rows {{ dbt.type_bigint() }},
            detail {{ dbt.type_string() }},
            recorded_at {{ dbt.type_timestamp() }}
        )
    {%- else -%}
        select 1 as lead_funnel_build_ledger_exists
    {%- endif -%}
{%- endmacro %}


{#- The ledger rows of these models: model name -> {'succeeded': row or none, 'started': row or
    none}, each row a dict of the ledger's columns. -#}
{% macro build_ledger_rows(model_names) -%}
    {%- set found = {} -%}
    {%- for name in model_names -%}{%- do found.update({name: {'succeeded': none, 'started': none}}) -%}{%- endfor -%}
    {%- if not lead_funnel.keeps_build_ledger() or model_names | length == 0 -%}{{ return(found) }}{%- endif -%}
    {%- set relation = lead_funnel.build_ledger_relation() -%}
    {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {{ return(found) }}
    {%- endif -%}
    {%- set result = run_query(
        'select model_name, event, invocation_id, as_of, config_fingerprint, raw_rows, detail from '
        ~ relation ~ " where model_name in ('" ~ model_names | join("', '") ~ "')") -%}
    {%- for row in result.rows -%}
        {%- do found[row[0]].update({row[1]: {'invocation_id': row[2], 'as_of': row[3],
            'config_fingerprint': row[4], 'raw_rows': row[5], 'detail': row[6]}}) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}


{#- The SQL values tuple of one ledger row, recorded now at this build's as_of. -#}
{% macro build_ledger_row(model_name, run_invocation_id, event, config_fingerprint, raw_rows, detail=none) -%}
    {%- set quoted_detail = 'null' if detail is none else "'" ~ detail | replace("'", "''") ~ "'" -%}
    {{ return("('" ~ model_name ~ "', '" ~ run_invocation_id ~ "', '" ~ event ~ "', '" ~ lead_funnel.as_of_text()
        ~ "', '" ~ config_fingerprint ~ "', " ~ raw_rows ~ ', ' ~ quoted_detail ~ ", cast('"
        ~ modules.datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M:%S') ~ "' as " ~ dbt.type_timestamp() ~ '))') }}
{%- endmacro %}


{#- Statements replacing this model's ledger row(s) of `event` by one of this invocation. -#}
{% macro write_build_ledger(event, detail=none, replaces_all=false) -%}
    {%- set relation = lead_funnel.build_ledger_relation() -%}
    {%- set raw_rows = run_query('select ' ~ lead_funnel.raw_row_total()).rows[0][0] -%}
    {%- do run_query('delete from ' ~ relation ~ " where model_name = '" ~ model.name ~ "'"
        ~ ('' if replaces_all else " and event = '" ~ event ~ "'")) -%}
    {%- do run_query('insert into ' ~ relation ~ ' values ' ~ lead_funnel.build_ledger_row(
        model.name, invocation_id, event, lead_funnel.config_fingerprint(), raw_rows, detail)) -%}
{%- endmacro %}


{#- pre-hook of every model: refuse stale parents (stale_parent_problem), then record that this
    build started the model. -#}
{% macro start_model_in_build_ledger() -%}
    {%- if lead_funnel.keeps_build_ledger() and model.resource_type == 'model' -%}
        {%- set problem = lead_funnel.stale_parent_problem() -%}
        {%- if problem is not none -%}
            {{ exceptions.raise_compiler_error(problem) }}
        {%- endif -%}
        {%- do lead_funnel.write_build_ledger('started') -%}
    {%- endif -%}
{%- endmacro %}


{#- post-hook of every model: record that this build succeeded with it (not under --empty). -#}
{% macro record_model_in_build_ledger() -%}
    {%- if lead_funnel.keeps_build_ledger() and model.resource_type == 'model' and not flags.EMPTY -%}
        {%- if model.name == 'refresh_contact_keys' -%}
            {%- set detail = lead_funnel.refresh_scope().reason -%}
        {%- else -%}
            {%- set detail = lead_funnel.scoped_tests_detail() -%}
        {%- endif -%}
        {%- do lead_funnel.write_build_ledger('succeeded', detail=detail, replaces_all=true) -%}
    {%- endif -%}
{%- endmacro %}


{#- None, or why this model must not be built now: a parent model of this project that this
    invocation did not build was last built at another as_of, with another configuration or on
    other raw rows (counted), was stopped half-way, or has no ledger row. Building on it would
    publish a model that mixes two states (docs/funnel_rules.md §7). -#}
{% macro stale_parent_problem() -%}
    {%- set parents = [] -%}
    {%- for unique_id in model.depends_on.nodes if unique_id.startswith('model.' ~ project_name ~ '.') -%}
        {%- do parents.append(unique_id.split('.')[-1]) -%}
    {%- endfor -%}
    {%- set ledger = lead_funnel.build_ledger_rows(parents) -%}
    {%- set current = {} -%}
    {%- for parent in parents -%}
        {%- set succeeded = ledger[parent].succeeded -%}
        {%- set started = ledger[parent].started -%}
        {%- if succeeded is none or succeeded.invocation_id != invocation_id -%}
            {%- if current | length == 0 -%}
                {%- do current.update({'as_of': lead_funnel.as_of_text(),
                    'config_fingerprint': lead_funnel.config_fingerprint(),
                    'raw_rows': run_query('select ' ~ lead_funnel.raw_row_total()).rows[0][0]}) -%}
            {%- endif -%}
            {%- set cause = none -%}
            {%- if succeeded is none -%}
                {%- set cause = 'has no record of a successful build' -%}
            {%- elif started is not none and started.invocation_id != invocation_id -%}
                {%- set cause = 'was left half-way by a build that stopped' -%}
            {%- elif succeeded.as_of != current.as_of -%}
                {%- set cause = 'was last built at as_of ' ~ succeeded.as_of ~ ', this build is at ' ~ current.as_of -%}
            {%- elif succeeded.config_fingerprint != current.config_fingerprint -%}
                {%- set cause = 'was last built with other vars or scoring-rule seeds' -%}
            {%- elif succeeded.raw_rows != current.raw_rows -%}
                {%- set cause = 'was last built on ' ~ succeeded.raw_rows ~ ' raw rows, the raw tables now hold ' ~ current.raw_rows -%}
            {%- endif -%}
            {%- if cause is not none -%}
                {{ return('lead_funnel: ' ~ model.name ~ ' is not built: its parent ' ~ parent ~ ', which this '
                    ~ 'build does not run, ' ~ cause ~ ' (a partial build would mix the two). Build the '
                    ~ 'parents too: dbt build --select +' ~ model.name ~ ' (or a plain dbt build, or dbt build --full-refresh)') }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
