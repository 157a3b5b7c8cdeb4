{#- Does a fit rule match an attribute value? (SPEC §4)
    operator: equals | in (values separated by '|', each trimmed) | contains (substring) | between ('lo|hi',
    inclusive, numeric) | is_null. Text comparison is trimmed and case-insensitive. A null
    attribute matches only is_null; an unknown operator matches nothing (seed tests reject it). -#}
{% macro fit_rule_matches(operator, attribute_value, rule_value) -%}
    {{ return(adapter.dispatch('fit_rule_matches', 'lead_funnel')(operator, attribute_value, rule_value)) }}
{%- endmacro %}

{% macro default__fit_rule_matches(operator, attribute_value, rule_value) -%}
    {%- set attribute_text = "lower(trim(cast(" ~ attribute_value ~ " as " ~ dbt.type_string() ~ ")))" -%}
    {%- set rule_text = "lower(trim(" ~ rule_value ~ "))" -%}
    {#- every listed value trimmed: 'a  |  b' is the list (a, b) -#}
    {%- set rule_list = lead_funnel.regex_replace(rule_text, '[ ]*[|][ ]*', '|') -%}
    coalesce(
        case lower(trim({{ operator }}))
            when 'equals' then {{ attribute_text }} = {{ rule_text }}
            when 'in' then {{ dbt.position(
                dbt.concat(["'|'", attribute_text, "'|'"]),
                dbt.concat(["'|'", rule_list, "'|'"])) }} > 0
            when 'contains' then {{ dbt.position(rule_text, attribute_text) }} > 0
            when 'between' then {{ lead_funnel.parse_decimal(attribute_value) }}
                between {{ lead_funnel.parse_decimal(dbt.split_part(rule_value, "'|'", 1)) }}
                and {{ lead_funnel.parse_decimal(dbt.split_part(rule_value, "'|'", 2)) }}
            when 'is_null' then {{ attribute_value }} is null
            else false
        end,
        false
    )
{%- endmacro %}


{#- Letter grade of a fit score from vars fit_grade_a / _b / _c. -#}
{% macro fit_grade(score_expression) -%}
    case
        when {{ score_expression }} >= {{ var('fit_grade_a') }} then 'A'
        when {{ score_expression }} >= {{ var('fit_grade_b') }} then 'B'
        when {{ score_expression }} >= {{ var('fit_grade_c') }} then 'C'
        else 'D'
    end
{%- endmacro %}
