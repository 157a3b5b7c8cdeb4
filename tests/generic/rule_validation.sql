{#- Checks of the scoring-rule seeds that marketing ops edit (seeds/_seeds.yml).

    Each test returns one row per problem with a readable `problem` column that names the seed,
    the rule, the bad value and what is allowed, e.g.
        fit_scoring_rules: rule fit_big_co has operator 'greater_than'; allowed: equals, in, contains, between, is_null
    dbt itself reports only "Got 1 result" for a failing test, so when the test runs (dbt build,
    dbt test) it also reads its problems from the seed and prints each one beside its FAIL line,
    and writes them at the top of its compiled SQL. A failing test skips every model
    (require_valid_scoring_rules). -#}

{#- The value (trimmed, case-insensitive) is one of a vocabulary of macros/config/vocabulary.sql:
    fit_attributes (known_fit_attributes), fit_operators (known_fit_operators) or buying_roles
    (known_buying_roles). Blank fails. -#}
{% test rule_value_is_known(model, column_name, vocabulary, key_column='rule_id') %}
    {%- set vocabularies = {
        'fit_attributes': lead_funnel.known_fit_attributes(),
        'fit_operators': lead_funnel.known_fit_operators(),
        'buying_roles': lead_funnel.known_buying_roles()
    } -%}
    {%- if vocabulary not in vocabularies -%}
        {{ exceptions.raise_compiler_error("rule_value_is_known: unknown vocabulary '" ~ vocabulary
            ~ "'; known: " ~ vocabularies.keys() | join(', ')) }}
    {%- endif -%}
    {%- set values = vocabularies[vocabulary] -%}
    {{ lead_funnel.rule_problems(
        model, column_name,
        "lower(" ~ lead_funnel.rule_text(column_name) ~ ") not in " ~ lead_funnel.sql_in_list(values),
        lead_funnel.rule_has_value(column_name), values | join(', '), key_column) }}
{% endtest %}


{#- The value is not blank; with unless_operator, not required when the rule's operator is that
    one (a fit rule's value may be blank for is_null). -#}
{% test rule_value_is_set(model, column_name, allowed, unless_operator=none, operator_column='operator',
                          key_column='rule_id') %}
    {%- set condition = lead_funnel.clean_text(column_name) ~ ' is null' -%}
    {%- set what = lead_funnel.rule_literal('has no ' ~ column_name) -%}
    {%- if unless_operator is not none -%}
        {%- set condition = condition ~ " and lower(" ~ lead_funnel.rule_text(operator_column) ~ ") <> '"
            ~ unless_operator ~ "'" -%}
        {%- set what = dbt.concat([lead_funnel.rule_literal('has no ' ~ column_name ~ ' (' ~ operator_column ~ " '"),
            lead_funnel.rule_text(operator_column), "''')'"]) -%}
    {%- endif -%}
    {{ lead_funnel.rule_problems(model, column_name, condition, what, allowed, key_column) }}
{% endtest %}


{#- No two rows share a value (blank values are rule_value_is_set's business). -#}
{% test rule_value_is_unique(model, column_name) %}
    {%- set noun = 'rules' if column_name == 'rule_id' else 'rows' -%}
    {%- set problems_sql -%}
        select
            {{ column_name }},
            count(*) as row_count,
            {{ dbt.concat([
                lead_funnel.rule_literal(model.identifier ~ ': ' ~ column_name ~ " '"),
                lead_funnel.rule_text(column_name),
                lead_funnel.rule_literal("' is used by "),
                "cast(count(*) as " ~ dbt.type_string() ~ ")",
                lead_funnel.rule_literal(' ' ~ noun ~ '; allowed: each ' ~ column_name ~ ' once')]) }} as problem
        from {{ model }}
        where {{ column_name }} is not null
        group by {{ column_name }}
        having count(*) > 1
    {%- endset -%}
    {{ lead_funnel.print_rule_problems(model, problems_sql) }}
    {{ problems_sql }}
{% endtest %}


{#- A `between` rule's value is two numbers 'lo|hi' with lo <= hi. -#}
{% test rule_between_value_is_two_numbers(model, column_name, operator_column='operator', key_column='rule_id') %}
    {%- set low = lead_funnel.parse_decimal(dbt.split_part(column_name, "'|'", 1)) -%}
    {%- set high = lead_funnel.parse_decimal(dbt.split_part(column_name, "'|'", 2)) -%}
    {{ lead_funnel.rule_problems(
        model, column_name,
        "lower(" ~ lead_funnel.rule_text(operator_column) ~ ") = 'between' and not coalesce("
            ~ low ~ " <= " ~ high ~ ", false)",
        dbt.concat([lead_funnel.rule_literal('has ' ~ operator_column ~ " 'between' and " ~ column_name ~ " '"),
            lead_funnel.rule_text(column_name), "''''"]),
        "two numbers 'lo|hi' with lo <= hi, e.g. '200|4999'", key_column) }}
{% endtest %}


{#- A number column is at least min_value (a blank one is not checked). -#}
{% test rule_value_is_at_least(model, column_name, min_value, allowed, key_column='rule_id') %}
    {{ lead_funnel.rule_problems(
        model, column_name, column_name ~ ' < ' ~ min_value,
        lead_funnel.rule_has_value(column_name), allowed, key_column) }}
{% endtest %}
