{#- Fit score and grade of every staged contact from its current attributes (docs/funnel_rules.md §4): every
    attribute a fit rule may name (known_fit_attributes(), the list the seed test accepts). -#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where {{ refresh_filter('contact_id') }}

),

fit_rules as (

    select
        rule_id,
        lower(trim(attribute)) as attribute,
        points,
        {{ fit_rule_columns('operator', 'value') }}
    from {{ ref('fit_scoring_rules') }}

),

personal_email_domains as (

    select distinct lower(trim(domain)) as email_domain
    from {{ ref('personal_email_domains') }}

),

contacts_with_domain_type as (

    select
        contacts.*,
        case
            when personal_email_domains.email_domain is not null then 'personal'
            else 'business'
        end as email_domain_type
    from contacts
    left join personal_email_domains
        on contacts.email_domain = personal_email_domains.email_domain

),

contact_attributes as (

    {% for attribute in known_fit_attributes() %}
        select
            contact_id,
            '{{ attribute }}' as attribute,
            {{ fit_attribute_columns(attribute) }}
        from contacts_with_domain_type
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

matched_rules as (

    select
        contact_attributes.contact_id,
        fit_rules.rule_id,
        fit_rules.points
    from contact_attributes
    inner join fit_rules
        on contact_attributes.attribute = fit_rules.attribute
    where {{ fit_rule_matches('fit_rules', 'contact_attributes') }}

),

fit_scores as (

    select
        contact_id,
        sum(points) as fit_score,
        count(*) as matched_rule_count
    from matched_rules
    group by contact_id

),

final as (

    select
        contacts_with_domain_type.contact_id,
        contacts_with_domain_type.email_domain_type,
        cast(coalesce(fit_scores.fit_score, 0) as {{ type_double() }}) as fit_score,
        {{ fit_grade('coalesce(fit_scores.fit_score, 0)') }} as fit_grade,
        cast(coalesce(fit_scores.matched_rule_count, 0) as {{ dbt.type_bigint() }}) as matched_rule_count
    from contacts_with_domain_type
    left join fit_scores
        on contacts_with_domain_type.contact_id = fit_scores.contact_id

)

select * from final
