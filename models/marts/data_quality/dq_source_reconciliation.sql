{#- Per source: raw rows = staged rows + folded duplicate versions + quarantined rows.
    Each term is counted independently (raw from the source, staged from the staging model,
    quarantined from the quarantine model, folded from the usable rows of the base model). -#}
{%- set reconciled_sources = [
    ('contacts', crm_raw_relation('contacts'), 'base_crm__contacts_screened', 'stg_crm__contacts', 'contact_id'),
    ('engagement_events', crm_raw_relation('engagement_events'), 'base_marketing__engagement_events_screened', 'stg_marketing__engagement_events', 'event_id'),
    ('sales_activities', crm_raw_relation('sales_activities'), 'base_crm__sales_activities_screened', 'stg_crm__sales_activities', 'activity_id'),
    ('opportunities', crm_raw_relation('opportunities'), 'base_crm__opportunities_screened', 'stg_crm__opportunities', 'opportunity_id'),
] -%}

with

quarantine_counts as (

    select
        source_table,
        count(*) as quarantined_rows
    from {{ ref('dq_quarantined_rows') }}
    group by source_table

),

{% for source_table, source_relation, base_model, staging_model, key_column in reconciled_sources %}
    counts_{{ source_table }} as (

        select
            '{{ source_table }}' as source_table,
            (select count(*) from {{ source_relation }}) as raw_rows,
            (select count(*) from {{ ref(staging_model) }}) as staged_rows,
            (
                select count(*) - count(distinct {{ key_column }})
                from {{ ref(base_model) }}
                where quarantine_reason is null
            ) as folded_duplicate_rows

    ),

{% endfor %}
source_counts as (

    {% for source_table, source_relation, base_model, staging_model, key_column in reconciled_sources %}
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
