{#- on-run-start: before any model or unit test reads raw, check that every raw table the run reads
    exists and has every column its sources YAML (models/staging/*/_*__sources.yml) declares - the
    raw contract. A missing table or column stops the run with a message naming them, instead of
    a failure deep inside a model or a unit-test fixture. Adapter calls only (no engine SQL), so
    it works on every engine.

    Checked for the commands that read raw (build, run, test, retry), for the raw tables read
    directly by a selected node: a model built from a source, a test on one, a unit test of such a
    model (so `dbt build --select seeds` does not need raw). Commands that only compile or
    describe (compile, docs generate, ls, show), seed and source freshness (which reports a
    missing table itself) skip it.
    With var crm_connector hubspot or salesforce (docs/funnel_rules.md §10) the raw tables are the
    connector's landed tables (sources `hubspot` / `salesforce`): the same check covers them, for
    the required columns only (a column whose meta says `optional: true` may be absent; the
    adapter reads a typed null instead, macro connector_column).
    Returns a no-op statement for the hook. -#}
{% macro validate_raw_contract() -%}
    {%- if execute and flags.WHICH in ('build', 'run', 'test', 'retry') -%}
        {%- set problems = [] -%}
        {%- set read = lead_funnel.sources_read_by_selection() -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id')
                if source.package_name == project_name and source.unique_id in read -%}
            {%- set table_name = ('raw table ' if source.source_name in ('crm', 'marketing') else source.source_name ~ ' table ')
                ~ source.schema ~ '.' ~ source.identifier -%}
            {%- set relation = adapter.get_relation(
                database=source.database, schema=source.schema, identifier=source.identifier) -%}
            {%- if relation is none -%}
                {%- do problems.append(table_name ~ ' does not exist (declared in ' ~ source.original_file_path ~ ')') -%}
            {%- else -%}
                {%- set present = [] -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- do present.append(column.name | lower) -%}
                {%- endfor -%}
                {%- set missing = [] -%}
                {%- for column in source.columns.values()
                        if column.name | lower not in present and not lead_funnel.is_optional_column(column) -%}
                    {%- do missing.append(column.name) -%}
                {%- endfor -%}
                {%- if missing -%}
                    {%- do problems.append(table_name ~ ' lacks column' ~ ('s ' if missing | length > 1 else ' ')
                        ~ missing | join(', ') ~ ' (declared in ' ~ source.original_file_path ~ ')') -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set connector = var('crm_connector', 'raw') -%}
        {%- if problems and connector == 'raw' -%}
            {{ exceptions.raise_compiler_error(
                'lead_funnel: the raw tables do not meet the raw contract: ' ~ problems | join('; ')
                ~ ". Land them in schema var raw_schema (now '" ~ var('raw_schema', 'raw')
                ~ "') with the columns of docs/funnel_rules.md (Raw source contract).") }}
        {%- elif problems -%}
            {{ exceptions.raise_compiler_error(
                'lead_funnel: the ' ~ connector ~ ' tables do not have what the ' ~ connector ~ ' adapter reads: '
                ~ problems | join('; ') ~ ". Land them with Fivetran's " ~ connector ~ " connector in schema var "
                ~ connector ~ "_schema (now '" ~ var(connector ~ '_schema', connector)
                ~ "'); docs/connect_your_crm.md lists the tables and columns.") }}
        {%- endif -%}
    {%- endif -%}
    select 1 as lead_funnel_raw_contract_is_met
{%- endmacro %}


{#- unique_ids of the sources that the selected nodes read directly: sources of selected models
    and tests, and of the models that selected unit tests test. Every source when the selection is
    unknown. -#}
{% macro sources_read_by_selection() -%}
    {%- set read = [] -%}
    {%- if selected_resources is not defined or selected_resources | length == 0 -%}
        {%- do read.extend(graph.sources.keys() | list) -%}
    {%- endif -%}
    {%- for unique_id in selected_resources or [] -%}
        {%- set parts = unique_id.split('.') -%}
        {%- set node_id = 'model.' ~ parts[1] ~ '.' ~ parts[2] if parts[0] == 'unit_test' else unique_id -%}
        {%- set node = graph.nodes.get(node_id) -%}
        {%- if node is not none -%}
            {%- for parent in node.depends_on.nodes if parent.startswith('source.') -%}
                {%- do read.append(parent) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {#- A connector's adapter views are read through the parsed staging models: selecting those
        reads the connector's tables too. -#}
    {%- set connector = var('crm_connector', 'raw') -%}
    {%- if connector != 'raw' -%}
        {%- set adapter_prefix = 'model.' ~ project_name ~ '.' ~ connector ~ '__' -%}
        {%- set reads_adapter = [] -%}
        {%- for unique_id in selected_resources or [] -%}
            {%- set node = graph.nodes.get(unique_id) -%}
            {%- for parent in (node.depends_on.nodes if node is not none else [])
                    if parent.startswith(adapter_prefix) -%}
                {%- do reads_adapter.append(unique_id) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if reads_adapter -%}
            {%- for source in graph.sources.values() if source.source_name == connector -%}
                {%- do read.append(source.unique_id) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(read | unique | list) }}
{%- endmacro %}


{#- A source column declared optional (`config: {meta: {optional: true}}`): a connector's column
    that the EL tool may not land (docs/funnel_rules.md §10). -#}
{% macro is_optional_column(column) -%}
    {%- set meta = (column.config.meta if column.config is defined and column.config.meta else none) or column.meta or {} -%}
    {{ return(meta.get('optional', false) is true) }}
{%- endmacro %}
