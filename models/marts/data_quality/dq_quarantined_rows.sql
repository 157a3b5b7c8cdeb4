{#- Every raw row that could not be used, with the first reason that applies (docs/funnel_rules.md §3 order). -#}
{%- set checked_sources = [
    ('contacts', 'base_crm__contacts_quarantined', 'contact_id', 'contact_id'),
    ('engagement_events', 'base_marketing__engagement_events_quarantined', 'event_id', 'contact_id'),
    ('sales_activities', 'base_crm__sales_activities_quarantined', 'activity_id', 'contact_id'),
    ('opportunities', 'base_crm__opportunities_quarantined', 'opportunity_id', 'contact_id'),
] -%}

with

{% for source_table, model_name, key_column, contact_column in checked_sources %}
    quarantined_{{ source_table }} as (

        select
            '{{ source_table }}' as source_table,
            {{ key_column }} as record_key,
            {{ contact_column }},
            quarantine_reason,
            raw_record,
            row_fingerprint,
            loaded_at
        from {{ ref(model_name) }}

    ),

{% endfor %}
unioned as (

    {% for source_table, model_name, key_column, contact_column in checked_sources %}
        select * from quarantined_{{ source_table }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ dbt.hash(dbt.concat(['source_table', "'|'", 'row_fingerprint', "'|'",
            "cast(row_number() over (partition by source_table, row_fingerprint order by loaded_at) as " ~ dbt.type_string() ~ ")"])) }}
            as quarantined_row_id,
        source_table,
        record_key,
        contact_id,
        quarantine_reason,
        raw_record,
        loaded_at
    from unioned

)

select * from final
