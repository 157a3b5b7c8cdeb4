{#- The contacts an incremental build recomputes (whole contacts, every model), as refresh keys
    (contact_id; '' for raw rows without one). A contact is refreshed when:
    - a raw row of it is in the load window (new, re-delivered or late rows: the EL tool's
      _loaded_at within the lookback of the previous build's newest one);
    - a business timestamp of one of its rows lies between the previous build's as_of and this
      one's, so the row moved across as_of (no longer after_as_of, a deal closing);
    - it shares an event, activity or opportunity id with such a row (a re-delivery under
      another contact, a deal moved to another primary contact);
    and every contact is refreshed when there is no previous checkpoint or the configuration
    (vars, scoring-rule seeds) changed. On a full build the incremental models ignore this list. -#}
{%- set previous = previous_refresh() if execute else none -%}
{#- the configuration changed since the checkpoint: compared once, here, not per row -#}
{%- set is_reconfigured = previous is not none
    and config_fingerprint() != previous.config_fingerprint -%}
{%- set as_of_bounds = none -%}
{%- if previous is not none and previous.as_of is not none -%}
    {%- set previous_as_of = "cast('" ~ previous.as_of ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- set as_of_bounds = (least_not_null([previous_as_of, as_of()]), greatest_not_null([previous_as_of, as_of()])) -%}
{%- endif -%}
{%- set parsed_tables = [
    ('base_crm__contacts_parsed', 'contact_id', ['created_at']),
    ('base_marketing__engagement_events_parsed', 'event_id', ['occurred_at']),
    ('base_crm__sales_activities_parsed', 'activity_id', ['occurred_at']),
    ('base_crm__opportunities_parsed', 'opportunity_id', ['created_at', 'closed_at_in_source']),
] -%}

{{ require_valid_scoring_rules() }}

with

{% if previous is none or is_reconfigured %}
    {#- no checkpoint, or the vars or scoring-rule seeds changed: every key #}
    refresh_keys as (

        {% for model_name, key_column, timestamp_columns in parsed_tables %}
            select refresh_key from {{ ref(model_name) }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),
{% else %}
    {% for model_name, key_column, timestamp_columns in parsed_tables %}
        changed_{{ key_column }}s as (

            select
                refresh_key,
                {{ key_column }} as row_key
            from {{ ref(model_name) }}
            where
                {{ in_load_window('loaded_at') }}
                {%- if as_of_bounds is not none %}
                    {%- for column in timestamp_columns %}
                        or ({{ column }} > {{ as_of_bounds[0] }} and {{ column }} <= {{ as_of_bounds[1] }})
                    {%- endfor %}
                {%- endif %}

        ),

        sharing_{{ key_column }}s as (

            select rows_with_key.refresh_key
            from {{ ref(model_name) }} as rows_with_key
            inner join changed_{{ key_column }}s
                on rows_with_key.{{ key_column }} = changed_{{ key_column }}s.row_key

        ),

    {% endfor %}
    refresh_keys as (

        {% for model_name, key_column, timestamp_columns in parsed_tables %}
            select refresh_key from changed_{{ key_column }}s
            union all
            select refresh_key from sharing_{{ key_column }}s
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),
{% endif %}

final as (

    select distinct refresh_key
    from refresh_keys

)

select * from final
