{#- The state the next incremental build starts from (docs/funnel_rules.md §7;
    macros/refresh/checkpoint.sql), one row per parsed model: the dbt invocation of the last
    complete build (state_invocation_id), its as_of and configuration fingerprint, and the
    largest parsed_batch and the row count of the parsed model it processed. It depends on every
    mart and data-quality model, so it runs only when the whole build got that far, and it
    advances only when every incremental model (and refresh_contact_keys) succeeded in this very
    invocation (the build ledger, macros/refresh/build_ledger.sql). Otherwise (a partial build,
    --empty, a dbt retry after a stopped build) it keeps the previous state, and the models the
    partial build did run recompute every contact next time. On Spark (no incremental models)
    it always advances. -#}
{%- set incremental_models = [] -%}
{%- for node in graph.nodes.values() if node.resource_type == 'model' and node.package_name == project_name
        and node.config.materialized == 'incremental' -%}
    {%- do incremental_models.append(node.name) -%}
{%- endfor -%}
{%- set advances = true -%}
{%- if execute and target.type != 'spark' -%}
    {%- set ledger = build_ledger_rows(incremental_models + ['refresh_contact_keys']) -%}
    {%- set behind = [] -%}
    {%- for name, rows in ledger.items() if rows.succeeded is none or rows.succeeded.invocation_id != invocation_id -%}
        {%- do behind.append(name) -%}
    {%- endfor -%}
    {%- set advances = behind | length == 0 and not flags.EMPTY -%}
    {%- if not advances -%}
        {%- do log('lead_funnel: refresh_checkpoint keeps the previous complete build: this build did not run '
            ~ (behind | join(', ') if behind else 'with data (--empty)'), info=true) -%}
    {%- endif -%}
{%- endif -%}
{%- set previous = existing_model_relation('refresh_checkpoint') if not advances else none -%}
{%- if previous is not none and previous_refresh() is none -%}
    {%- set previous = none -%}
{%- endif -%}
{%- set build_started_at = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S')
    ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}

-- depends_on: {{ ref('lead_stages') }}, {{ ref('lead_handoffs') }}
-- depends_on: {{ ref('lead_stage_transitions') }}, {{ ref('funnel_conversion') }}
-- depends_on: {{ ref('funnel_volume_daily') }}, {{ ref('dq_run_context') }}
-- depends_on: {{ ref('dq_quarantined_rows') }}, {{ ref('dq_source_reconciliation') }}
-- depends_on: {{ ref('dq_unknown_event_types') }}
{{ require_valid_scoring_rules() }}

with

parsed_states as (

    {% for model_name, key_column, timestamp_columns in parsed_models() %}
        select
            '{{ model_name }}' as parsed_model,
            coalesce(max(parsed_batch), 0) as parsed_batch,
            count(*) as parsed_rows
        from {{ ref(model_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

new_state as (

    select
        cast(parsed_model as {{ dbt.type_string() }}) as parsed_model,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as state_invocation_id,
        cast({{ as_of() }} as {{ dbt.type_timestamp() }}) as as_of,
        cast('{{ config_fingerprint() }}' as {{ dbt.type_string() }}) as config_fingerprint,
        cast(parsed_batch as {{ dbt.type_bigint() }}) as parsed_batch,
        cast(parsed_rows as {{ dbt.type_bigint() }}) as parsed_rows,
        {{ build_started_at }} as built_at
    from parsed_states

),

final as (

    {% if advances %}
        select * from new_state
    {% elif previous is not none %}
        {#- not a complete build: the previous state, unchanged #}
        select * from {{ previous }}
    {% else %}
        {#- not a complete build and no previous state: none (the next build recomputes everything) #}
        select * from new_state
        where 1 = 0
    {% endif %}

)

select * from final
