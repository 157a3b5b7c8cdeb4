{#- The quarantine spike test (docs/funnel_rules.md §7), on dq_source_reconciliation, one per
    raw source table: the share of the table's raw rows that were quarantined, against the vars
    quarantine_warn_share and quarantine_error_share. Rows quarantined as after_as_of are left
    out of both counts: they are not bad rows but rows of a later day, and a build at a past
    as_of (a backfill) quarantines many of them by design. Tables with fewer than
    quarantine_min_rows such raw rows are not judged (a share of a handful of rows is no spike). It returns one row per limit crossed
    (configure warn_if '>0' and error_if '>1': above the first limit `dbt build` warns, above
    the second it fails), each with a readable `problem`:
        quarantine spike in <table>: <quarantined> of <raw> raw rows quarantined (<share>),
        above quarantine_error_share <limit>; top reason <reason> (<rows> rows)
    which is also printed beside the test's line when it runs (dbt reports only "Got 2
    results"), so that a changed timestamp format never passes as a quieter funnel. -#}
{% test quarantined_share_is_normal(model, source_table) %}
    {%- set problems_sql -%}
        with

        later_rows as (

            select count(*) as after_as_of_rows
            from {{ ref('dq_quarantined_rows') }}
            where
                source_table = '{{ source_table }}'
                and quarantine_reason = 'after_as_of'

        ),

        judged as (

            select
                reconciliation.raw_rows - later_rows.after_as_of_rows as judged_rows,
                reconciliation.quarantined_rows - later_rows.after_as_of_rows as quarantined_rows
            from {{ model }} as reconciliation
            cross join later_rows
            where reconciliation.source_table = '{{ source_table }}'

        ),

        counts as (

            select
                judged_rows as raw_rows,
                quarantined_rows,
                case when judged_rows > 0 then 1.0 * quarantined_rows / judged_rows else 0 end as quarantined_share
            from judged
            where judged_rows >= {{ var('quarantine_min_rows') }}

        ),

        reasons as (

            select
                quarantine_reason,
                count(*) as reason_rows,
                row_number() over (order by count(*) desc, quarantine_reason) as reason_rank
            from {{ ref('dq_quarantined_rows') }}
            where
                source_table = '{{ source_table }}'
                and quarantine_reason != 'after_as_of'
            group by quarantine_reason

        ),

        limits as (

            select
                'quarantine_warn_share' as limit_name,
                '{{ var('quarantine_warn_share') }}' as limit_text,
                {{ var('quarantine_warn_share') }} as limit_share
            union all
            select
                'quarantine_error_share' as limit_name,
                '{{ var('quarantine_error_share') }}' as limit_text,
                {{ var('quarantine_error_share') }} as limit_share

        ),

        final as (

            select
                limits.limit_name,
                counts.quarantined_share,
                {{ dbt.concat([
                    "'quarantine spike in " ~ source_table ~ ": '",
                    "cast(counts.quarantined_rows as " ~ dbt.type_string() ~ ")", "' of '",
                    "cast(counts.raw_rows as " ~ dbt.type_string() ~ ")", "' raw rows quarantined ('",
                    "cast(round(counts.quarantined_share, 3) as " ~ dbt.type_string() ~ ")", "'), above '",
                    "limits.limit_name", "' '", "limits.limit_text",
                    "'; top reason '", "coalesce(reasons.quarantine_reason, 'none')", "' ('",
                    "cast(coalesce(reasons.reason_rows, 0) as " ~ dbt.type_string() ~ ")", "' rows)'",
                ]) }} as problem
            from counts
            cross join limits
            left join reasons
                on reasons.reason_rank = 1
            where counts.quarantined_share > limits.limit_share

        )

        select * from final
    {%- endset -%}
    {%- if execute and flags.WHICH in ('build', 'test', 'retry') and load_relation(model) is not none -%}
        {%- for problem in run_query(problems_sql).columns['problem'].values() | sort -%}
            {%- do log(problem, info=True) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ problems_sql }}
{% endtest %}
