{#- Per source: raw rows = staged rows + folded duplicate versions + quarantined rows.
    Each term is counted independently (raw from the source, staged from the staging model,
    quarantined from dq_quarantined_rows, folded from the parsed rows that pass the quarantine
    checks, checked again here by quarantine_checked_select). -#}
{%- set reconciled_sources = [
    ('contacts', 'stg_crm__contacts'),
    ('engagement_events', 'stg_marketing__engagement_events'),
    ('sales_activities', 'stg_crm__sales_activities'),
    ('opportunities', 'stg_crm__opportunities'),
] -%}

with

quarantine_counts as (

    select
        source_table,
        count(*) as quarantined_rows
    from {{ ref('dq_quarantined_rows') }}
    group by source_table

),

{% for source_table, staging_model in reconciled_sources %}
    checked_{{ source_table }} as (

        {{ quarantine_checked_select(source_table) }}

    ),

    counts_{{ source_table }} as (

        select
            '{{ source_table }}' as source_table,
            (select count(*) from {{ crm_raw_relation(source_table) }}) as raw_rows,
            (select count(*) from {{ ref(staging_model) }}) as staged_rows,
            (
                select count(*) - count(distinct {{ raw_record_layout(source_table).key }})
                from checked_{{ source_table }}
                where quarantine_reason is null
            ) as folded_duplicate_rows

    ),

{% endfor %}
source_counts as (

    {% for source_table, staging_model in reconciled_sources %}
        select * from counts_{{ source_table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        source_counts.source_table,
        cast(source_counts.raw_rows as {{ dbt.type_bigint() }}) as raw_rows,
        cast(source_counts.staged_rows as {{ dbt.type_bigint() }}) as staged_rows,
        cast(source_counts.folded_duplicate_rows as {{ dbt.type_bigint() }}) as folded_duplicate_rows,
        cast(coalesce(quarantine_counts.quarantined_rows, 0) as {{ dbt.type_bigint() }}) as quarantined_rows,
        source_counts.raw_rows = source_counts.staged_rows
        + source_counts.folded_duplicate_rows
        + coalesce(quarantine_counts.quarantined_rows, 0) as is_reconciled
    from source_counts
    left join quarantine_counts
        on source_counts.source_table = quarantine_counts.source_table

)

select * from final
