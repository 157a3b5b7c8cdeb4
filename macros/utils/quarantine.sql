{#- The first quarantine reason that applies, in the order given (SPEC §3 order), else null.
    checks: list of (reason, boolean SQL condition) pairs; a condition of none is skipped. -#}
{% macro first_quarantine_reason(checks) -%}
    case
    {%- for reason, condition in checks if condition is not none %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}
