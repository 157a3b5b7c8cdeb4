{#- Account and buying role of every contact of lead_stages (docs/funnel_rules.md §8): account_domain
    is the business email_domain (null for a personal or missing domain: no account); buying_role
    is that of the matching buying_role_rules rule with the lowest priority, ties by rule_id,
    `member` when none matches or job_title is null. -#}
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not is_deleted

),

fit_scores as (

    select * from {{ ref('int_contacts_fit_scored') }}

),

buying_role_rules as (

    select
        rule_id,
        buying_role,
        priority,
        lower(trim(title_contains)) as title_contains
    from {{ ref('buying_role_rules') }}

),

role_matches as (

    select
        contacts.contact_id,
        buying_role_rules.buying_role,
        buying_role_rules.rule_id,
        row_number() over (
            partition by contacts.contact_id
            order by buying_role_rules.priority, buying_role_rules.rule_id
        ) as match_rank
    from contacts
    inner join buying_role_rules
        on {{ dbt.position('buying_role_rules.title_contains', 'lower(contacts.job_title)') }} > 0

),

final as (

    select
        contacts.contact_id,
        contacts.job_title,
        contacts.created_at,
        role_matches.rule_id as buying_role_rule_id,
        case
            when fit_scores.email_domain_type = 'business' then contacts.email_domain
        end as account_domain,
        coalesce(role_matches.buying_role, 'member') as buying_role
    from contacts
    inner join fit_scores
        on contacts.contact_id = fit_scores.contact_id
    left join role_matches
        on
            contacts.contact_id = role_matches.contact_id
            and role_matches.match_rank = 1

)

select * from final
