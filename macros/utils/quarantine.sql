{#- The first quarantine reason that applies, in the order given (docs/funnel_rules.md §3 order), else null.
    checks: list of (reason, boolean SQL condition) pairs; a condition of none is skipped. -#}
{% macro first_quarantine_reason(checks) -%}
    case
    {%- for reason, condition in checks if condition is not none %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}


{#- The body of a base model: every parsed raw row of the refreshed contacts with its first
    quarantine reason in docs/funnel_rules.md §3 order: the row's own early reasons (missing_key,
    missing_timestamp, unparseable_timestamp), then after_as_of (`timestamp_column` later than
    as_of), then orphan_contact_id (when `checks_orphans`: the contact is not staged), then the
    row's own late reasons (unknown_activity_type, won_not_closed, negative_amount). raw_record
    (the raw text, read by dq_quarantined_rows) is kept on quarantined rows only: on usable rows
    it is null, which spares writing the raw text of every usable row a second time. -#}
{% macro quarantine_checked_rows(parsed_model, timestamp_column, checks_orphans=true) -%}
    {%- set parsed_relation = ref(parsed_model) -%}
    {#- In a unit test the parsed model is the test's input CTE: nothing to describe (Spark's
        describe of it fails and pyspark logs an ERROR line for it), so the rows keep parsed.*
        (raw_record as given). The parsed model's bookkeeping (row_hash, row_occurrence,
        parsed_batch) stays there. -#}
    {%- set columns = adapter.get_columns_in_relation(parsed_relation) | map(attribute='name')
        | reject('in', ['row_hash', 'row_occurrence', 'parsed_batch']) | list
        if execute and not parsed_relation.is_cte else [] -%}
    {%- set dynamic_checks = [('after_as_of', 'parsed.' ~ timestamp_column ~ ' > ' ~ lead_funnel.as_of())] -%}
    {%- if checks_orphans -%}
        {%- do dynamic_checks.append(('orphan_contact_id', 'staged_contacts.contact_id is null')) -%}
    {%- endif -%}
with

parsed as (

    select * from {{ parsed_relation }}
    where {{ lead_funnel.refresh_filter('refresh_key') }}

),
{% if checks_orphans %}
staged_contacts as (

    select contact_id from {{ ref('stg_crm__contacts') }}

),
{% endif %}
checked as (

    select
        parsed.*,
        coalesce(
            parsed.early_quarantine_reason,
            {{ lead_funnel.first_quarantine_reason(dynamic_checks) }},
            parsed.late_quarantine_reason
        ) as quarantine_reason
    from parsed
    {%- if checks_orphans %}
    left join staged_contacts
        on parsed.contact_id = staged_contacts.contact_id
    {%- endif %}

),

final as (

    select
        {%- for column in columns %}
        {%- if column | lower == 'raw_record' %}
        case when quarantine_reason is not null then raw_record end as raw_record,
        {%- else %}
        {{ column }},
        {%- endif %}
        {%- else %}
        checked.*
        {%- endfor %}
        {%- if columns %}
        quarantine_reason
        {%- endif %}
    from checked

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
