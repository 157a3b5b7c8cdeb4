{#- Exact change detection of the parsed models (docs/funnel_rules.md §7). A raw row is known by
    its fingerprint (a hash of the whole raw record, _loaded_at included) and its occurrence
    number among identical raw rows (1, 2, ... for a row delivered twice). An incremental build
    parses only the raw rows whose (row_fingerprint, row_occurrence) its table does not hold yet
    and stamps them with parsed_batch = 1 + the table's largest batch; no time window, so late,
    re-delivered, out-of-order, future and blank _loaded_at are all taken exactly once. When the
    table holds rows raw no longer has (an extract replaced or shrunk rather than appended), the
    build re-parses every raw row under the new batch (and says so in the log): everything
    downstream is then recomputed (macros/refresh/checkpoint.sql, refresh_scope). -#}

{#- The CTEs between a parsed model's `source` CTE and its `typed` CTE: every raw column plus
    row_fingerprint and row_occurrence, as `unparsed`: on an incremental run only the rows not
    parsed yet (or every row when some parsed row vanished from raw). `raw_columns`: the raw
    columns the fingerprint hashes. -#}
{% macro unparsed_raw_rows(raw_columns) -%}
fingerprinted as (

    select
        *,
        {{ dbt.hash(lead_funnel.raw_record_text(raw_columns)) }} as row_fingerprint
    from source

),

numbered as (

    select
        *,
        row_number() over (partition by row_fingerprint order by row_fingerprint) as row_occurrence
    from fingerprinted

),
{% if lead_funnel.is_refresh_run() %}
{%- if execute and 'row_occurrence' not in (adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) -%}
    {{ exceptions.raise_compiler_error(
        "lead_funnel: " ~ this ~ " was built by an earlier version of lead_funnel (it has no "
        ~ "row_occurrence column, which exact change detection needs): run `dbt build --full-refresh` "
        ~ "once (docs/funnel_rules.md §7)") }}
{%- endif %}
processed as (

    select
        row_fingerprint,
        row_occurrence
    from {{ this }}

),

new_rows as (

    select numbered.*
    from numbered
    left join processed
        on
            numbered.row_fingerprint = processed.row_fingerprint
            and numbered.row_occurrence = processed.row_occurrence
    where processed.row_fingerprint is null

),

{#- keys are unique on both sides, so parsed rows missing from raw = |parsed| - |raw| + |new| #}
vanished as (

    select
        (select count(*) from processed)
        - (select count(*) from numbered)
        + (select count(*) from new_rows) as vanished_rows

),

unparsed as (

    select new_rows.* from new_rows
    where (select vanished_rows from vanished) = 0
    union all
    select numbered.* from numbered
    where (select vanished_rows from vanished) > 0

),
{% else %}
unparsed as (

    select * from numbered

),
{% endif %}
{%- endmacro %}


{#- The batch number the rows parsed by this build get: 1 + the largest one of the model's
    existing table (also on a full rebuild, so that batches never go back), else 1. -#}
{% macro next_parsed_batch() -%}
    {%- if not execute or this is none or model.resource_type == 'unit_test' -%}{{ return(1) }}{%- endif -%}
    {%- set relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if relation is none -%}{{ return(1) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if 'parsed_batch' not in columns -%}{{ return(1) }}{%- endif -%}
    {%- set found = run_query('select coalesce(max(parsed_batch), 0) + 1 from ' ~ relation).rows[0][0] -%}
    {{ return(found | int) }}
{%- endmacro %}


{#- The one relation a parsed model reads its raw rows from (its source, or the model a
    connector puts in front of it); seeds, which only gate the build, are not counted. -#}
{% macro parsed_raw_relation() -%}
    {%- set parents = [] -%}
    {%- for unique_id in model.depends_on.nodes if not unique_id.startswith('seed.') -%}
        {%- set node = graph.sources.get(unique_id) or graph.nodes.get(unique_id) -%}
        {%- do parents.append(api.Relation.create(
            database=node.database, schema=node.schema,
            identifier=node.identifier if unique_id.startswith('source.') else (node.alias or node.name))) -%}
    {%- endfor -%}
    {%- if parents | length != 1 -%}
        {{ exceptions.raise_compiler_error("lead_funnel: " ~ model.name ~ " must read exactly one raw relation, found "
            ~ parents | join(', ')) }}
    {%- endif -%}
    {{ return(parents[0]) }}
{%- endmacro %}
