{#- The first quarantine reason that applies, in the order given (docs/funnel_rules.md §3 order), else null.
    checks: list of (reason, boolean SQL condition) pairs; a condition of none is skipped. -#}
{% macro first_quarantine_reason(checks) -%}
    case
    {%- for reason, condition in checks if condition is not none %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}


{#- A select of every parsed raw row of `table_name` (raw_record_layout: its parsed model,
    timestamp column and orphan check) for the refreshed contacts, with its first quarantine
    reason in docs/funnel_rules.md §3 order (null = usable): the row's own early reasons
    (missing_key, missing_timestamp, unparseable_timestamp), then after_as_of (the timestamp
    later than as_of), then orphan_contact_id (the contact is not staged), then the row's own
    late reasons (unknown_activity_type, won_not_closed, negative_amount). Not stored: the staged
    model of the table reads its usable rows, the quarantined model its quarantined ones and
    dq_source_reconciliation counts them (writing every checked row of 18 million events costs
    more than checking each row in each reader: a scan and a join). -#}
{% macro quarantine_checked_select(table_name) -%}
    {%- set layout = lead_funnel.raw_record_layout(table_name) -%}
    {%- set dynamic_checks = [('after_as_of', 'parsed_rows.' ~ layout.timestamp_column ~ ' > ' ~ lead_funnel.as_of())] -%}
    {%- if layout.checks_orphans -%}
        {%- do dynamic_checks.append(('orphan_contact_id', 'staged_contacts.contact_id is null')) -%}
    {%- endif -%}
    select
        parsed_rows.*,
        coalesce(
            parsed_rows.early_quarantine_reason,
            {{ lead_funnel.first_quarantine_reason(dynamic_checks) }},
            parsed_rows.late_quarantine_reason
        ) as quarantine_reason
    from {{ ref(layout.parsed_model) }} as parsed_rows
    {%- if layout.checks_orphans %}
    left join {{ ref('stg_crm__contacts') }} as staged_contacts
        on parsed_rows.contact_id = staged_contacts.contact_id
    {%- endif %}
    where {{ lead_funnel.refresh_filter('parsed_rows.refresh_key') }}
{%- endmacro %}


{#- The body of a quarantined model: the quarantined rows of quarantine_checked_select, with
    raw_record (the raw text, read by dq_quarantined_rows). The parsed model does not keep the
    text (writing the text of every raw row costs more than rebuilding it for the few that are
    quarantined): it is rebuilt here from the raw rows of `table_name` that share a quarantined
    row's key (raw_record_layout; a blank key matches the rows without one), matched to the row by
    its fingerprint, so it is the very row parsed. -#}
{% macro quarantined_raw_rows(table_name) -%}
    {%- set layout = lead_funnel.raw_record_layout(table_name) -%}
    {%- set parsed_relation = ref(layout.parsed_model) -%}
    {#- In a unit test the parsed model is the test's input CTE: nothing to describe (Spark's
        describe of it fails and pyspark logs an ERROR line for it), so the rows keep parsed.*.
        The parsed model's bookkeeping (row_hash, row_occurrence, parsed_batch) stays there. -#}
    {%- set columns = adapter.get_columns_in_relation(parsed_relation) | map(attribute='name')
        | reject('in', ['row_hash', 'row_occurrence', 'parsed_batch']) | list
        if execute and not parsed_relation.is_cte else [] -%}
with

checked_rows as (

    {{ lead_funnel.quarantine_checked_select(table_name) }}

),

quarantined_rows as (

    select * from checked_rows
    where quarantine_reason is not null

),

quarantined_keys as (

    select distinct coalesce({{ layout.key }}, '') as record_key
    from quarantined_rows

),

quarantined_key_raw_rows as (

    select raw_rows.*
    from {{ lead_funnel.crm_raw_relation(table_name) }} as raw_rows
    inner join quarantined_keys
        on coalesce({{ lead_funnel.clean_text('raw_rows.' ~ layout.key) }}, '') = quarantined_keys.record_key

),

raw_records as (

    select distinct
        {{ lead_funnel.raw_row_fingerprint(lead_funnel.raw_record_text(layout.columns)) }} as row_fingerprint,
        {{ lead_funnel.raw_record_text(layout.columns, layout.email_columns) }} as raw_record
    from quarantined_key_raw_rows

),

final as (

    select
        {%- for column in columns %}
        quarantined_rows.{{ column }},
        {%- else %}
        quarantined_rows.*,
        {%- endfor %}
        raw_records.raw_record
        {%- if columns %},
        quarantined_rows.quarantine_reason
        {%- endif %}
    from quarantined_rows
    left join raw_records
        on quarantined_rows.row_fingerprint = raw_records.row_fingerprint

)

select * from final
{%- endmacro %}


{#- The end of a parsed model, after its `typed` CTE (the raw rows this build parses, typed, with
    loaded_at, row_fingerprint and row_occurrence: macros/refresh/parsed_rows.sql): their refresh
    key, their parsed_batch and the row's own quarantine reasons, the first that applies of
    `early_checks` (before after_as_of in docs/funnel_rules.md §3 order) and of `late_checks`
    (after orphan_contact_id); `extra_columns` are more (sql, name) pairs. -#}
{% macro parsed_row_checks(early_checks, late_checks=[], extra_columns=[]) -%}
final as (

    select
        *,
        {%- for expression, name in extra_columns %}
        {{ expression }} as {{ name }},
        {%- endfor %}
        coalesce(contact_id, '') as refresh_key,
        {{ lead_funnel.first_quarantine_reason(early_checks) }} as early_quarantine_reason,
        {%- if late_checks %}
        {{ lead_funnel.first_quarantine_reason(late_checks) }} as late_quarantine_reason,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as late_quarantine_reason,
        {%- endif %}
        cast({{ lead_funnel.next_parsed_batch() }} as {{ dbt.type_bigint() }}) as parsed_batch
    from typed

)

select * from final
{%- endmacro %}
