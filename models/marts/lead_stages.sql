with

contact_stages as (

    select * from {{ ref('int_contact_stages_derived') }}
    where not is_deleted

),

final as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(email_domain as {{ dbt.type_string() }}) as email_domain,
        cast(lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(employee_count as {{ dbt.type_bigint() }}) as employee_count,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(current_stage as {{ dbt.type_string() }}) as current_stage,
        cast(current_stage_entered_at as {{ dbt.type_timestamp() }}) as current_stage_entered_at,
        cast(fit_score as {{ type_double() }}) as fit_score,
        cast(fit_grade as {{ dbt.type_string() }}) as fit_grade,
        cast(engagement_score as {{ type_double() }}) as engagement_score,
        cast(total_score as {{ type_double() }}) as total_score,
        cast(mql_at as {{ dbt.type_timestamp() }}) as mql_at,
        cast(sal_at as {{ dbt.type_timestamp() }}) as sal_at,
        cast(sql_at as {{ dbt.type_timestamp() }}) as sql_at,
        cast(opportunity_at as {{ dbt.type_timestamp() }}) as opportunity_at,
        cast(customer_at as {{ dbt.type_timestamp() }}) as customer_at,
        cast(has_inferred_stage as {{ dbt.type_boolean() }}) as has_inferred_stage,
        cast(first_mql_reason as {{ dbt.type_string() }}) as first_mql_reason,
        cast(last_mql_at as {{ dbt.type_timestamp() }}) as last_mql_at,
        cast(mql_count as {{ dbt.type_bigint() }}) as mql_count,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id
    from contact_stages

)

select * from final
