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
    row_text (the raw record as text, raw_record_text of the table's raw_record_layout: made
    once, then hashed and fingerprinted), row_hash, row_fingerprint and row_occurrence, as
    `unparsed`: on an incremental run only the rows not parsed yet (or every row when some parsed
    row vanished from raw). `table_name`: the raw table (raw_record_layout). The text itself is
    not kept: the quarantined model rebuilds it for the quarantined rows only
    (quarantined_raw_rows).

    Raw rows are grouped by row_hash, a cheap hash of the same text the fingerprint hashes
    (raw_row_hash; identical rows share it). A group whose raw row count exceeds the parsed
    rows of that hash holds the new rows; only those groups are fingerprinted and numbered,
    and compared with the parsed rows by (row_fingerprint, row_occurrence). A hash collision
    only widens a group, so no row is missed: a group with the same count on both sides has
    nothing new unless a raw row vanished and another of the very same hash took its place.
    A hash with more parsed than raw rows means a parsed row vanished from raw: then every hash
    counts as changed and no parsed row as processed, so every raw row is parsed again (the
    raw rows are grouped once, in the same statement).
    On a full build, only the raw rows that share their hash with another are numbered by a
    window; every other row is its text's first occurrence. -#}
{% macro unparsed_raw_rows(table_name) -%}
{%- set record_text = lead_funnel.raw_record_text(lead_funnel.raw_record_layout(table_name).columns) -%}
recorded as (

    select
        *,
        {{ record_text }} as row_text
    from source

),

hashed as (

    select
        *,
        {{ lead_funnel.raw_row_hash('row_text') }} as row_hash
    from recorded

),
{% if lead_funnel.is_refresh_run() %}
{%- do lead_funnel.require_current_parsed_table() %}
processed_counts as (

    select
        row_hash,
        count(*) as parsed_rows
    from {{ this }}
    group by row_hash

),

raw_counts as (

    select
        row_hash,
        count(*) as raw_rows
    from hashed
    group by row_hash

),

hash_counts as (

    select
        coalesce(raw_counts.row_hash, processed_counts.row_hash) as row_hash,
        coalesce(raw_counts.raw_rows, 0) as raw_rows,
        coalesce(processed_counts.parsed_rows, 0) as parsed_rows
    from raw_counts
    full outer join processed_counts
        on raw_counts.row_hash = processed_counts.row_hash

),

vanished as (

    select count(*) > 0 as has_vanished_rows
    from hash_counts
    where parsed_rows > raw_rows

),

changed_hashes as (

    select row_hash
    from hash_counts
    where
        raw_rows > parsed_rows
        or (raw_rows > 0 and (select has_vanished_rows from vanished))

),

numbered as (

    select
        *,
        row_number() over (partition by row_fingerprint order by row_fingerprint) as row_occurrence
    from (
        select
            hashed.*,
            {{ lead_funnel.raw_row_fingerprint('row_text') }} as row_fingerprint
        from hashed
        inner join changed_hashes
            on hashed.row_hash = changed_hashes.row_hash
    ) as changed_rows

),

processed as (

    select
        parsed_rows.row_fingerprint,
        parsed_rows.row_occurrence
    from {{ this }} as parsed_rows
    inner join changed_hashes
        on parsed_rows.row_hash = changed_hashes.row_hash
    where not (select has_vanished_rows from vanished)

),

unparsed as (

    select numbered.*
    from numbered
    left join processed
        on
            numbered.row_fingerprint = processed.row_fingerprint
            and numbered.row_occurrence = processed.row_occurrence
    where processed.row_fingerprint is null

),
{% else %}
shared_hashes as (

    select row_hash
    from hashed
    group by row_hash
    having count(*) > 1

),

fingerprinted as (

    select
        *,
        {{ lead_funnel.raw_row_fingerprint('row_text') }} as row_fingerprint
    from hashed

),

unparsed as (

    {{ lead_funnel.number_where_repeated(
        'fingerprinted', 'shared_hashes', 'row_hash',
        'fingerprinted.row_fingerprint', 'fingerprinted.row_fingerprint', 'row_occurrence') }}

),
{% endif %}
{%- endmacro %}


{#- Raises when the calling parsed model's table was built by an earlier version of lead_funnel:
    it has no row_hash column (which change detection needs), or still has raw_record or a
    timestamp's cleaned text (`<column>_text`; only whether it is blank is kept), which the parsed
    models no longer store. Nothing to check at parse time. -#}
{% macro require_current_parsed_table() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- set dropped = columns | select('in', ['raw_record', 'created_at_text', 'closed_at_text', 'occurred_at_text']) | list -%}
    {%- if 'row_hash' not in columns or dropped -%}
        {{ exceptions.raise_compiler_error(
            "lead_funnel: " ~ this ~ " was built by an earlier version of lead_funnel ("
            ~ ("it has no row_hash column, which change detection needs" if 'row_hash' not in columns
               else "it still has the column " ~ dropped[0] ~ ", which the parsed models no longer keep")
            ~ "): run `dbt build --full-refresh` once (docs/funnel_rules.md §7)") }}
    {%- endif -%}
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
