{#- Data tests of the incremental models on the refreshed part (docs/funnel_rules.md §7).

    A daily build rewrites, in a refresh_contacts model, only the rows of the contacts listed in
    refresh_contact_keys; every other row is exactly what an earlier build wrote. A data test of
    such a model checks only the refreshed contacts when all of these hold, and the whole table
    otherwise (full builds, --full-refresh, a model recomputed for every contact, Spark):
    - this invocation refreshed the model from the last complete build's state (the strategy
      records a `refreshed` ledger row, macros/refresh/strategies.sql);
    - every data test of the model passed on that state, with the same set of tests, in the
      build that wrote it or later (the `tested` ledger row record_tested_models writes at the
      end of a run); a `dbt run`, a failed or skipped test, or a new test leaves no such row;
    - the test's verdict on a contact's rows depends on the rows of contacts refreshed with it
      only (refresh_scoped_tests): row-local tests, keys (an event, activity or opportunity id
      shared by two contacts refreshes both), and relationships from the contact key to
      another refresh_contacts model keyed by it.
    dbt wraps the tested relation of every generic test in get_where_subquery, the macro behind
    the `where` config; the project's version adds the refresh predicate to the test's own
    `where`. -#}

{#- The generic tests whose verdict on a contact's rows needs only the rows of the contacts
    refreshed with it. -#}
{% macro refresh_scoped_tests() -%}
    {{ return(['not_null', 'accepted_values', 'value_between', 'expression_is_true',
               'ordered_timestamps', 'unique', 'unique_combination', 'relationships']) }}
{%- endmacro %}


{#- The ledger detail of a refresh_contacts model whose data tests may check the refreshed part only. -#}
{% macro scoped_tests_marker() -%}
    {{ return('data tests may check the refreshed contacts only') }}
{%- endmacro %}


{#- Is this model node refreshed by whole contacts (incremental, strategy refresh_contacts)? -#}
{% macro refreshes_whole_contacts(node) -%}
    {{ return(node is not none and node.resource_type == 'model'
              and node.config.materialized == 'incremental'
              and node.config.incremental_strategy == 'refresh_contacts') }}
{%- endmacro %}


{#- The data test nodes attached to a model. -#}
{% macro attached_data_tests(model_unique_id) -%}
    {{ return(graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
              | selectattr('attached_node', 'equalto', model_unique_id) | list) }}
{%- endmacro %}


{#- md5 of the data tests attached to a model (their ids, arguments and where configs): a test
    added or changed since the model was last tested in full has not seen its older rows. -#}
{% macro data_tests_fingerprint(model_unique_id) -%}
    {%- set parts = [] -%}
    {%- for node in lead_funnel.attached_data_tests(model_unique_id) -%}
        {%- do parts.append(node.unique_id ~ ' ' ~ tojson(node.test_metadata or {}, sort_keys=true) ~ ' ' ~ (node.config.where or '')) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | sort | join('\n'))) }}
{%- endmacro %}


{#- post-hook detail of a refresh_contacts model (record_model_in_build_ledger): the marker when
    this invocation refreshed it from a state whose every data test passed, else none. -#}
{% macro scoped_tests_detail() -%}
    {%- if not lead_funnel.refreshes_whole_contacts(graph.nodes.get(model.unique_id)) -%}{{ return(none) }}{%- endif -%}
    {%- set rows = lead_funnel.build_ledger_rows([model.name])[model.name] -%}
    {%- set refreshed = rows.get('refreshed') -%}
    {%- set tested = rows.get('tested') -%}
    {%- if refreshed is not none and refreshed.invocation_id == invocation_id
        and tested is not none and tested.invocation_id == refreshed.detail
        and tested.detail == lead_funnel.data_tests_fingerprint(model.unique_id) -%}
        {{ return(lead_funnel.scoped_tests_marker()) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- The predicate restricting the calling data test to the refreshed contacts, or none. `relation`
    is what dbt wraps: the tested model (a relationships test's parent is not wrapped). -#}
{% macro refreshed_part_predicate(relation) -%}
    {%- if not lead_funnel.keeps_build_ledger() or model.resource_type != 'test' -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set test_name = (model.test_metadata or {}).get('name') -%}
    {%- if not lead_funnel.refreshes_whole_contacts(node) or test_name not in lead_funnel.refresh_scoped_tests()
        or relation.identifier | lower != (node.alias or node.name) | lower -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set key_column = node.config.unique_key -%}
    {%- if test_name == 'relationships' -%}
        {%- set kwargs = model.test_metadata.kwargs -%}
        {%- set parents = model.depends_on.nodes | reject('equalto', node.unique_id) | list -%}
        {%- set parent = graph.nodes.get(parents[0]) if parents | length == 1 else none -%}
        {%- if model.column_name != key_column or kwargs.field != key_column
            or not lead_funnel.refreshes_whole_contacts(parent) or parent.config.unique_key != key_column -%}
            {{ return(none) }}
        {%- endif -%}
    {%- endif -%}
    {%- set succeeded = lead_funnel.build_ledger_rows([node.name])[node.name].succeeded -%}
    {%- if succeeded is none or succeeded.invocation_id != invocation_id
        or succeeded.detail != lead_funnel.scoped_tests_marker() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(key_column ~ ' in (select refresh_key from ' ~ lead_funnel.refresh_keys_relation() ~ ')') }}
{%- endmacro %}


{#- dbt's get_where_subquery (the `where` config), plus the refreshed-part predicate. -#}
{% macro get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do predicates.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- if execute -%}
        {%- set refreshed_part = lead_funnel.refreshed_part_predicate(relation) -%}
        {%- if refreshed_part is not none -%}{%- do predicates.append(refreshed_part) -%}{%- endif -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ predicates | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- on-run-end: a `tested` ledger row for each refresh_contacts model every data test of which
    ran in this invocation and passed: the model's state (its last successful build) has been
    tested in full, so the next build that refreshes it from that state may test the refreshed
    part only. A model rebuilt without passing every test has no such row (its post-hook removed
    it). Returns the hook's SQL. -#}
{% macro record_tested_models() -%}
    {%- set fully_tested = [] -%}
    {%- if lead_funnel.keeps_build_ledger() and not flags.EMPTY -%}
        {%- set statuses = {} -%}
        {%- for result in results if result.node.resource_type == 'test' -%}
            {%- do statuses.update({result.node.unique_id: result.status | string}) -%}
        {%- endfor -%}
        {%- for node in graph.nodes.values() if lead_funnel.refreshes_whole_contacts(node) -%}
            {%- set outcomes = [] -%}
            {%- for test in lead_funnel.attached_data_tests(node.unique_id) -%}
                {%- do outcomes.append(statuses.get(test.unique_id, 'not run')) -%}
            {%- endfor -%}
            {%- if outcomes and outcomes | reject('equalto', 'pass') | list | length == 0 -%}
                {%- do fully_tested.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set ledger = lead_funnel.build_ledger_rows(fully_tested | map(attribute='name') | list) -%}
    {%- set rows = [] -%}
    {%- for node in fully_tested if ledger[node.name].succeeded is not none and ledger[node.name].started is none -%}
        {%- do rows.append(lead_funnel.build_ledger_row(node.name, ledger[node.name].succeeded.invocation_id, 'tested',
            '', 0, lead_funnel.data_tests_fingerprint(node.unique_id))) -%}
    {%- endfor -%}
    {%- if rows -%}
        {%- set relation = lead_funnel.build_ledger_relation() -%}
        delete from {{ relation }} where event = 'tested' and model_name in ('{{ fully_tested | map(attribute='name') | join("', '") }}');
        insert into {{ relation }} values {{ rows | join(', ') }}
    {%- else -%}
        select 1 as lead_funnel_no_tested_models
    {%- endif -%}
{%- endmacro %}
