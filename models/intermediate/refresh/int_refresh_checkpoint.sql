{#- The state the next incremental build starts from (macros/refresh/checkpoint.sql), one row:
    the as_of this build evaluated, the newest _loaded_at it processed among the rows loaded by
    as_of (and by the build's start): a row stamped later, a bad future _loaded_at or a backfill's,
    cannot move the window past rows still to come; such rows are simply re-read by every build
    until as_of passes them. The configuration fingerprint, and the number of raw rows (fewer
    raw rows next time means an extract was replaced: that build reads everything again). It depends on every mart and data-quality model,
    so it is written only when the whole build got that far: a failed build leaves the previous
    checkpoint, and the next build re-reads a larger window. -#}
{%- set parsed_models = [
    'base_crm__contacts_parsed', 'base_marketing__engagement_events_parsed',
    'base_crm__sales_activities_parsed', 'base_crm__opportunities_parsed'
] -%}
{%- set build_started_at = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S')
    ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}

-- depends_on: {{ ref('lead_stages') }}, {{ ref('lead_handoffs') }}
-- depends_on: {{ ref('lead_stage_transitions') }}, {{ ref('funnel_conversion') }}
-- depends_on: {{ ref('funnel_volume_daily') }}, {{ ref('dq_run_context') }}
-- depends_on: {{ ref('dq_quarantined_rows') }}, {{ ref('dq_source_reconciliation') }}
-- depends_on: {{ ref('dq_unknown_event_types') }}
{{ require_valid_scoring_rules() }}

with

loaded_rows as (

    {% for model_name in parsed_models %}
        select max(loaded_at) as loaded_at
        from {{ ref(model_name) }}
        where loaded_at <= {{ least_not_null([build_started_at, as_of()]) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        cast({{ as_of() }} as {{ dbt.type_timestamp() }}) as as_of,
        cast(max(loaded_at) as {{ dbt.type_timestamp() }}) as loaded_watermark_at,
        cast('{{ config_fingerprint() }}' as {{ dbt.type_string() }}) as config_fingerprint,
        cast({{ raw_row_total() }} as {{ dbt.type_bigint() }}) as raw_rows,
        {{ build_started_at }} as built_at
    from loaded_rows

)

select * from final
