{#- The contacts an incremental build recomputes (whole contacts, every model), as refresh keys
    (contact_id; '' for raw rows without one); docs/funnel_rules.md §7. Against the last complete
    build's checkpoint (macros/refresh/checkpoint.sql), a contact is refreshed when:
    - a parsed row of it has a parsed_batch newer than the one that build processed (a raw row
      never parsed before, whatever its _loaded_at: late, re-delivered, future or blank);
    - a business timestamp of one of its rows lies between that build's as_of and this one's,
      so the row moved across as_of (no longer after_as_of, a deal closing), either way;
    - it shares an event, activity or opportunity id with such a row (a re-delivery under
      another contact, a deal moved to another primary contact);
    and every contact is refreshed (refresh_scope) when there is no complete build yet, the vars
    or scoring-rule seeds changed, or a parsed model no longer holds the rows that build
    processed; the incremental models then recompute every contact. On a full build the
    incremental models ignore this list. -#}
{%- set previous = previous_refresh() if execute else none -%}
{%- set scope = refresh_scope() if execute else {'is_every_contact': true, 'reason': none} -%}
{%- if execute and scope.is_every_contact -%}
    {%- do log('lead_funnel: refresh_contact_keys lists every contact: ' ~ scope.reason, info=true) -%}
{%- endif -%}
{%- set as_of_bounds = none -%}
{%- if previous is not none -%}
    {%- set previous_as_of = "cast('" ~ previous.as_of ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- set as_of_bounds = (least_not_null([previous_as_of, as_of()]), greatest_not_null([previous_as_of, as_of()])) -%}
{%- endif -%}

{{ require_valid_scoring_rules() }}

with

{% if scope.is_every_contact %}
    refresh_keys as (

        {% for model_name, key_column, timestamp_columns in parsed_models() %}
            select refresh_key from {{ ref(model_name) }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),
{% else %}
    {% for model_name, key_column, timestamp_columns in parsed_models() %}
        changed_{{ key_column }}s as (

            select
                refresh_key,
                {{ key_column }} as row_key
            from {{ ref(model_name) }}
            where
                parsed_batch > {{ previous.batches[model_name] }}
                {%- for column in timestamp_columns %}
                    or ({{ column }} > {{ as_of_bounds[0] }} and {{ column }} <= {{ as_of_bounds[1] }})
                {%- endfor %}

        ),

        sharing_{{ key_column }}s as (

            select rows_with_key.refresh_key
            from {{ ref(model_name) }} as rows_with_key
            inner join changed_{{ key_column }}s
                on rows_with_key.{{ key_column }} = changed_{{ key_column }}s.row_key

        ),

    {% endfor %}
    refresh_keys as (

        {% for model_name, key_column, timestamp_columns in parsed_models() %}
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
