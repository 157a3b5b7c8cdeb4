{#- Helpers of the scoring-rule seed tests (tests/generic/rule_validation.sql): build the
    readable `problem` of a bad seed row and print it when the test runs. -#}

{#- SQL literal of a text. -#}
{% macro rule_literal(text) -%}
    '{{ dbt.escape_single_quotes(text) }}'
{%- endmacro %}


{#- Text SQL of a column: cast to text, trimmed, '' when null. -#}
{% macro rule_text(column) -%}
    coalesce(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{#- Text SQL naming the seed row: "rule fit_big_co" (key rule_id), "domain 'gmail.com'" (another
    key column), or, when the key is blank, "a rule (attribute=...; operator=...; ...)". -#}
{% macro rule_subject(model, key_column) -%}
    {%- set noun = 'rule' if key_column == 'rule_id' else 'row' -%}
    {%- set others = [] -%}
    {%- set relation = load_relation(model) if execute else none -%}
    {%- if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) if column.name | lower != key_column -%}
            {%- do others.append(column.name) -%}
        {%- endfor -%}
    {%- endif -%}
    case
        when {{ lead_funnel.clean_text(key_column) }} is null
            then {{ dbt.concat([lead_funnel.rule_literal('a ' ~ noun ~ ' ('), lead_funnel.raw_record_text(others),
                "')'"]) if others else lead_funnel.rule_literal('a ' ~ noun) }}
        else {{ dbt.concat([lead_funnel.rule_literal(noun ~ ' ' if noun == 'rule' else key_column ~ " '"),
            lead_funnel.rule_text(key_column), "''" if noun == 'rule' else "''''"]) }}
    end
{%- endmacro %}


{#- The test's SQL: rows (key, bad_value, problem) of the seed rows where `condition` holds, the
    problem reading "<seed>: <subject> <what>; allowed: <allowed>" (what: text SQL). When the test
    runs, its problems are printed and written at the top of its compiled SQL. -#}
{% macro rule_problems(model, column_name, condition, what, allowed, key_column='rule_id') -%}
    {%- set problems_sql -%}
        select
            {{ key_column }},
            cast({{ column_name }} as {{ dbt.type_string() }}) as bad_value,
            {{ dbt.concat([
                lead_funnel.rule_literal(model.identifier ~ ': '),
                lead_funnel.rule_subject(model, key_column),
                "' '", what,
                lead_funnel.rule_literal('; allowed: ' ~ allowed)]) }} as problem
        from {{ model }}
        where coalesce({{ condition }}, false)
    {%- endset -%}
    {{ lead_funnel.print_rule_problems(model, problems_sql) }}
    {{ problems_sql }}
{%- endmacro %}


{#- When a test runs (build / test / retry) on an existing seed: print each problem of
    problems_sql and return them as a SQL comment. -#}
{% macro print_rule_problems(model, problems_sql) -%}
    {%- if execute and flags.WHICH in ('build', 'test', 'retry') and load_relation(model) is not none -%}
        {%- set problems = run_query(problems_sql).columns['problem'].values() | sort -%}
        {%- for problem in problems -%}
            {%- do log(problem, info=True) -%}
        {%- endfor -%}
        {%- if problems %}
/* {{ problems | join('\n   ') | replace('*/', '* /') }} */
        {% endif -%}
    {%- endif -%}
{%- endmacro %}


{#- "has operator 'greater_than'" / "has no operator": text SQL. -#}
{% macro rule_has_value(column_name) -%}
    case
        when {{ lead_funnel.clean_text(column_name) }} is null then {{ lead_funnel.rule_literal('has no ' ~ column_name) }}
        else {{ dbt.concat([lead_funnel.rule_literal('has ' ~ column_name ~ " '"), lead_funnel.rule_text(column_name), "''''"]) }}
    end
{%- endmacro %}
