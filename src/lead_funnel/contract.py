"""The raw source contract (docs/funnel_rules.md §2) and the funnel vocabularies (docs/funnel_rules.md §1-§9), in one place.

The generator writes these columns and values, the loader checks CSV headers against the
columns, and the validator checks the marts against the stages. Nothing else defines them: the
dbt sources YAML (``models/staging/*/_*__sources.yml``) declares the same columns, and
``tests/python/test_py_contract.py`` fails when the two drift apart; the dbt macros of
``macros/config/`` (vocabulary.sql, funnel_stages.sql) hold the same vocabularies for the models,
and ``tests/python/test_py_vocabularies.py`` fails when those drift apart.

Every list is a tuple in its meaningful order (generator probabilities and index constants
follow it). To add a stage, put it in :data:`FUNNEL_STAGES` in its place in the funnel (and in
:data:`VOLUME_STAGES` when funnel_volume_daily counts its entries): everything that reads stages
derives from these tuples.
"""

from __future__ import annotations

from typing import Final, Mapping

# docs/funnel_rules.md §2: the four raw tables and their columns, in the order the generator writes them.
TABLE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "contacts": (
        "contact_id", "email", "job_title", "company_name", "industry", "country_code",
        "lead_source", "employee_count", "created_at", "updated_at", "is_deleted", "_loaded_at",
    ),
    "engagement_events": (
        "event_id", "contact_id", "event_type", "page_url", "campaign_id", "occurred_at",
        "_loaded_at",
    ),
    "sales_activities": (
        "activity_id", "contact_id", "owner_id", "activity_type", "rejection_reason",
        "budget_confirmed", "authority_confirmed", "need_confirmed", "timeline_confirmed",
        "occurred_at", "_loaded_at",
    ),
    "opportunities": (
        "opportunity_id", "contact_id", "created_at", "closed_at", "updated_at", "_loaded_at",
        "stage_name", "amount", "is_closed", "is_won",
    ),
}
TABLES: Final[tuple[str, ...]] = tuple(TABLE_COLUMNS)

# docs/funnel_rules.md §2: acquisition channels of contacts.lead_source.
LEAD_SOURCES: Final[tuple[str, ...]] = (
    "organic_search", "paid_search", "social", "email", "referral", "direct", "events",
    "partner", "other",
)

# docs/funnel_rules.md §2: the event types the spec names (anything else is an unknown type, counted in
# dq_unknown_event_types but never quarantined).
KNOWN_EVENT_TYPES: Final[tuple[str, ...]] = (
    "email_open", "email_click", "page_view", "content_download", "webinar_registration",
    "webinar_attended", "form_submission", "demo_request", "contact_sales", "trial_signup",
    "product_key_action", "newsletter_subscribe", "social_follow", "unsubscribe", "email_bounce",
)

# docs/funnel_rules.md §2: sales activity types (anything else is quarantined as unknown_activity_type).
ACTIVITY_TYPES: Final[tuple[str, ...]] = (
    "sales_accepted", "sales_rejected", "qualification", "disqualified", "call", "meeting",
    "email",
)

# docs/funnel_rules.md §2: rejection reasons of sales_rejected / disqualified activities.
REJECTION_REASONS: Final[tuple[str, ...]] = (
    "bad_fit", "no_budget", "no_authority", "not_reachable", "bad_timing", "duplicate",
    "competitor", "other",
)

# docs/funnel_rules.md §4: the contact attributes a fit rule may name (the seed test accepts only
# these; int_contacts_fit_scored scores them, calibration proposes rules for them).
FIT_ATTRIBUTES: Final[tuple[str, ...]] = (
    "job_title", "industry", "country_code", "lead_source", "employee_count", "email_domain",
    "email_domain_type",
)
# docs/funnel_rules.md §4: the operators of a fit rule.
FIT_OPERATORS: Final[tuple[str, ...]] = ("equals", "in", "contains", "between", "is_null")

# docs/funnel_rules.md §8 / §9: buying roles of seed buying_role_rules, and the attribution models
# of mql_attribution in the order the marts document them.
BUYING_ROLES: Final[tuple[str, ...]] = ("decision_maker", "influencer", "member")
ATTRIBUTION_MODELS: Final[tuple[str, ...]] = (
    "first_touch", "last_touch", "linear", "position_based", "tipping_point",
)

# docs/funnel_rules.md §1 / §5: the stages a contact can be in (lead_stages.current_stage), in funnel order:
# the waterfall first, then the two exits.
FUNNEL_STAGES: Final[tuple[str, ...]] = (
    "lead", "mql", "sal", "sql", "opportunity", "customer", "recycled", "disqualified",
)

# docs/funnel_rules.md §6: the stages whose entries funnel_volume_daily counts, in funnel order: the waterfall
# with the side path ``pql`` (product-qualified leads, recorded beside the MQL they hand to
# sales; never a current_stage) after ``mql``. Recycles and disqualifications are not counted.
VOLUME_STAGES: Final[tuple[str, ...]] = (
    "lead", "mql", "pql", "sal", "sql", "opportunity", "customer",
)

# docs/funnel_rules.md §3: quarantine reasons in the order they apply, and those that can apply to each table.
QUARANTINE_REASONS: Final[tuple[str, ...]] = (
    "missing_key", "missing_timestamp", "unparseable_timestamp", "after_as_of",
    "orphan_contact_id", "unknown_activity_type", "won_not_closed", "negative_amount",
)
APPLICABLE_REASONS: Final[Mapping[str, tuple[str, ...]]] = {
    "contacts": ("missing_key", "missing_timestamp", "unparseable_timestamp", "after_as_of"),
    "engagement_events": (
        "missing_key", "missing_timestamp", "unparseable_timestamp", "after_as_of",
        "orphan_contact_id",
    ),
    "sales_activities": (
        "missing_key", "missing_timestamp", "unparseable_timestamp", "after_as_of",
        "orphan_contact_id", "unknown_activity_type",
    ),
    "opportunities": (
        "missing_key", "missing_timestamp", "unparseable_timestamp", "after_as_of",
        "orphan_contact_id", "won_not_closed", "negative_amount",
    ),
}
