{#- Fit rules (docs/funnel_rules.md §4), in three parts so that the costly text work runs once per rule and once
    per contact attribute, not once per (rule, attribute) pair:
    fit_rule_columns: a rule's operator and value, prepared (in the rules' CTE);
    fit_attribute_columns: an attribute value, prepared (in the attributes' CTE);
    fit_rule_matches: does the rule match the attribute?
    operator: equals | in (values separated by '|', each trimmed) | contains (substring) | between
    ('lo|hi', inclusive, numeric) | is_null. Text comparison is trimmed and case-insensitive. A
    null attribute matches only is_null; an unknown operator matches nothing (seed tests reject
    it). -#}
{% macro fit_rule_columns(operator, rule_value) -%}
    {%- set rule_text = "lower(trim(" ~ rule_value ~ "))" -%}
    lower(trim({{ operator }})) as rule_operator,
    {{ rule_text }} as rule_text,
    {#- every listed value trimmed: 'a  |  b' is the list (a, b) -#}
    {{ dbt.concat(["'|'", lead_funnel.regex_replace(rule_text, '[ ]*[|][ ]*', '|'), "'|'"]) }} as rule_list,
    {{ lead_funnel.parse_decimal(dbt.split_part(rule_value, "'|'", 1)) }} as rule_low,
    {{ lead_funnel.parse_decimal(dbt.split_part(rule_value, "'|'", 2)) }} as rule_high
{%- endmacro %}

{% macro fit_attribute_columns(attribute_value) -%}
    {%- set attribute_text = "lower(trim(cast(" ~ attribute_value ~ " as " ~ dbt.type_string() ~ ")))" -%}
    {{ attribute_text }} as attribute_text,
    {{ dbt.concat(["'|'", attribute_text, "'|'"]) }} as attribute_element,
    {{ lead_funnel.parse_decimal(attribute_value) }} as attribute_number,
    {{ attribute_value }} is null as is_attribute_null
{%- endmacro %}

{#- rule, attribute: the aliases of relations with fit_rule_columns and fit_attribute_columns. -#}
{% macro fit_rule_matches(rule, attribute) -%}
    coalesce(
        case {{ rule }}.rule_operator
            when 'equals' then {{ attribute }}.attribute_text = {{ rule }}.rule_text
            when 'in' then {{ dbt.position(attribute ~ '.attribute_element', rule ~ '.rule_list') }} > 0
            when 'contains' then {{ dbt.position(rule ~ '.rule_text', attribute ~ '.attribute_text') }} > 0
            when 'between' then {{ attribute }}.attribute_number
                between {{ rule }}.rule_low and {{ rule }}.rule_high
            when 'is_null' then {{ attribute }}.is_attribute_null
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
