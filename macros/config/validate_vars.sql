{#- on-run-start: check every tunable before any model runs; a bad value stops the run with a
    message that names the var. Returns a no-op statement for the hook. -#}
{% macro validate_lead_funnel_vars() -%}
    {%- set problems = [] -%}
    {%- set declared = lead_funnel.lead_funnel_var_defaults() -%}
    {#- Numeric vars: those whose dbt_project.yml default is a number, and these, which may also be
        null (no decay, no cap, no product path). -#}
    {%- set nullable_numeric_vars = ['score_half_life_days', 'max_engagement_score', 'pql_threshold'] -%}
    {%- for name, default in declared.items()
            if name in nullable_numeric_vars or (default is number and default is not boolean) -%}
        {%- set value = var(name, none) -%}
        {%- if value is none -%}
            {%- if name not in nullable_numeric_vars -%}{%- do problems.append(name ~ ' must be set (got null)') -%}{%- endif -%}
        {%- elif value is not number or value is boolean -%}
            {%- do problems.append(name ~ " must be a number (got '" ~ value ~ "')") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems | length == 0 -%}
        {%- set half_life = var('score_half_life_days', none) -%}
        {%- if half_life is not none and half_life <= 0 -%}
            {%- do problems.append('score_half_life_days must be > 0 or null for no decay (got ' ~ half_life ~ ')') -%}
        {%- endif -%}
        {%- if var('handoff_sla_hours') < 0 -%}
            {%- do problems.append('handoff_sla_hours must be >= 0 (got ' ~ var('handoff_sla_hours') ~ ')') -%}
        {%- endif -%}
        {%- if var('sql_min_bant') < 0 or var('sql_min_bant') > 4 -%}
            {%- do problems.append('sql_min_bant must be between 0 and 4 (got ' ~ var('sql_min_bant') ~ ')') -%}
        {%- endif -%}
        {%- if var('crm_connector', 'raw') not in ('raw', 'hubspot', 'salesforce') -%}
            {%- do problems.append("crm_connector must be raw, hubspot or salesforce (got '" ~ var('crm_connector') ~ "')") -%}
        {%- endif -%}
        {%- if var('mqa_min_contacts') < 1 -%}
            {%- do problems.append('mqa_min_contacts must be >= 1 (got ' ~ var('mqa_min_contacts') ~ ')') -%}
        {%- endif -%}
        {%- if var('mqa_window_days') < 0 -%}
            {%- do problems.append('mqa_window_days must be >= 0 (got ' ~ var('mqa_window_days') ~ ')') -%}
        {%- endif -%}
        {%- if not (0 <= var('quarantine_warn_share') <= var('quarantine_error_share') <= 1) -%}
            {%- do problems.append('quarantine shares must satisfy 0 <= quarantine_warn_share <= quarantine_error_share <= 1 (got '
                ~ var('quarantine_warn_share') ~ ', ' ~ var('quarantine_error_share') ~ ')') -%}
        {%- endif -%}
        {%- if var('quarantine_min_rows') < 0 -%}
            {%- do problems.append('quarantine_min_rows must be >= 0 (got ' ~ var('quarantine_min_rows') ~ ')') -%}
        {%- endif -%}
        {%- if not (var('fit_grade_a') >= var('fit_grade_b') >= var('fit_grade_c')) -%}
            {%- do problems.append('fit grades must satisfy fit_grade_a >= fit_grade_b >= fit_grade_c') -%}
        {%- endif -%}
    {%- endif -%}
    {%- set unknown = lead_funnel.unknown_lead_funnel_vars(declared) -%}
    {%- do problems.extend(unknown) -%}
    {%- if problems | length > 0 -%}
        {%- set known_list = '' if unknown | length == 0 else
            '. The vars of lead_funnel (dbt_project.yml): ' ~ declared.keys() | join(', ') -%}
        {{ exceptions.raise_compiler_error('lead_funnel: invalid vars: ' ~ problems | join('; ') ~ known_list) }}
    {%- endif -%}
    {#- Parsing as_of raises on a malformed value. -#}
    {%- set as_of_value = lead_funnel.as_of_text() -%}
    select 1 as lead_funnel_vars_are_valid
{%- endmacro %}


{#- The vars lead_funnel declares in its dbt_project.yml (`vars:`, globally or scoped to
    lead_funnel), name -> default, in file order: the one list of the project's vars. -#}
{% macro lead_funnel_var_defaults() -%}
    {%- set defaults = {} -%}
    {%- set projects = adapter.config.load_dependencies() -%}
    {%- for name, value in projects['lead_funnel'].vars.to_dict().items() -%}
        {%- if value is not mapping -%}
            {%- do defaults.update({name: value}) -%}
        {%- elif name == 'lead_funnel' -%}
            {%- do defaults.update(value) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(defaults) }}
{%- endmacro %}


{#- Problems for the vars passed on the command line (--vars) that look like a misspelt var of
    lead_funnel: declared neither by it nor by another project of the run (the root project when
    lead_funnel is a package, installed packages), and either within 2 edits of one of its vars
    or sharing one's first word (mql_, fit_, score_, handoff_, max_, ...; words of 3 letters or
    more). Vars of other packages that look nothing like these pass. -#}
{% macro unknown_lead_funnel_vars(declared) -%}
    {%- set passed = invocation_args_dict.get('vars') or {} -%}
    {%- if passed is string -%}{%- set passed = fromyaml(passed) or {} -%}{%- endif -%}
    {%- set elsewhere = [] -%}
    {%- for project_key, project in adapter.config.load_dependencies().items() -%}
        {%- for name, value in project.vars.to_dict().items() -%}
            {%- if value is mapping and name != 'lead_funnel' -%}
                {%- do elsewhere.extend(value.keys() | list) -%}
            {%- elif value is not mapping and project_key != 'lead_funnel' -%}
                {%- do elsewhere.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set problems = [] -%}
    {%- for name in passed.keys() | map('string') | sort if name not in declared and name not in elsewhere -%}
        {%- set near = namespace(name=none, distance=999) -%}
        {%- for known in declared.keys() -%}
            {%- set distance = lead_funnel.edit_distance(name, known) | int -%}
            {%- set first_word = known.split('_')[0] -%}
            {%- set same_family = distance <= 2
                or ('_' in known and first_word | length >= 3 and name.startswith(first_word ~ '_')) -%}
            {%- if same_family and distance < near.distance -%}
                {%- set near.name = known -%}
                {%- set near.distance = distance -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if near.name is not none -%}
            {%- do problems.append("unknown var '" ~ name ~ "' (did you mean '" ~ near.name ~ "'?)") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems) }}
{%- endmacro %}


{#- Levenshtein distance of two texts (insertions, deletions, substitutions). -#}
{% macro edit_distance(a, b) -%}
    {%- set row = namespace(previous=range(b | length + 1) | list) -%}
    {%- for i in range(1, a | length + 1) -%}
        {%- set current = [i] -%}
        {%- for j in range(1, b | length + 1) -%}
            {%- do current.append([row.previous[j] + 1, current[j - 1] + 1,
                row.previous[j - 1] + (0 if a[i - 1] == b[j - 1] else 1)] | min) -%}
        {%- endfor -%}
        {%- set row.previous = current -%}
    {%- endfor -%}
    {{ return(row.previous[-1]) }}
{%- endmacro %}
