{#- How a raw table's rows are written as text and screened (docs/funnel_rules.md §3 and §7), the
    one place that lists it: `columns`, the raw columns of a row's text in order (the parsed model
    fingerprints that text, _loaded_at included; the quarantine shows it as raw_record);
    `email_columns`, those the quarantine shows redacted (the domain only); `key`, the column the
    quarantine names a row by; `parsed_model`, the model that parses the table;
    `timestamp_column`, the parsed timestamp after_as_of compares with as_of; `checks_orphans`,
    whether a row's contact must be staged (orphan_contact_id). -#}
{% macro raw_record_layout(table_name) -%}
    {%- set layouts = {
        'contacts': {
            'columns': [
                'contact_id', 'email', 'job_title', 'company_name', 'industry', 'country_code',
                'lead_source', 'employee_count', 'created_at', 'updated_at', 'is_deleted', '_loaded_at'],
            'email_columns': ['email'],
            'key': 'contact_id',
            'parsed_model': 'base_crm__contacts_parsed',
            'timestamp_column': 'created_at',
            'checks_orphans': false},
        'engagement_events': {
            'columns': [
                'event_id', 'contact_id', 'event_type', 'page_url', 'campaign_id', 'occurred_at',
                '_loaded_at'],
            'email_columns': [],
            'key': 'event_id',
            'parsed_model': 'base_marketing__engagement_events_parsed',
            'timestamp_column': 'occurred_at',
            'checks_orphans': true},
        'sales_activities': {
            'columns': [
                'activity_id', 'contact_id', 'owner_id', 'activity_type', 'rejection_reason',
                'budget_confirmed', 'authority_confirmed', 'need_confirmed', 'timeline_confirmed',
                'occurred_at', '_loaded_at'],
            'email_columns': [],
            'key': 'activity_id',
            'parsed_model': 'base_crm__sales_activities_parsed',
            'timestamp_column': 'occurred_at',
            'checks_orphans': true},
        'opportunities': {
            'columns': [
                'opportunity_id', 'contact_id', 'created_at', 'closed_at', 'updated_at', '_loaded_at',
                'stage_name', 'amount', 'is_closed', 'is_won'],
            'email_columns': [],
            'key': 'opportunity_id',
            'parsed_model': 'base_crm__opportunities_parsed',
            'timestamp_column': 'created_at',
            'checks_orphans': true},
    } -%}
    {%- if table_name not in layouts -%}
        {{ exceptions.raise_compiler_error("lead_funnel: no raw record layout for table '" ~ table_name ~ "'") }}
    {%- endif -%}
    {{ return(layouts[table_name]) }}
{%- endmacro %}
