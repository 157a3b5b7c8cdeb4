"""The campaign mix of generated engagement events (docs/funnel_rules.md §9 attributes MQLs to them).

Marketing runs a handful of campaigns a year, each for one kind of touch: e-mail programmes
(newsletter, nurture, launch), gated content, webinars, and paid / account-based programmes whose
landing pages collect page views, forms and demo requests. Their popularity is skewed, as real
budgets are. The campaign of an event is a pure function of its event type and a slot 1-59 the
generator draws anyway, so the random stream (and every other generated value) is unchanged.
"""

from __future__ import annotations

from typing import Final, Mapping

import numpy as np
import pyarrow as pa

from lead_funnel.generation.text import EVENT_TYPES, IntArray

SLOTS = 59  # slots 1..59: the generator's draw rng.integers(1, 60)

# Campaign slug -> share of the slots of its family (each family's weights sum to SLOTS).
EMAIL_CAMPAIGNS = (("newsletter", 18), ("nurture-onboarding", 15), ("product-launch", 12),
                   ("event-invite", 8), ("winback", 6))
CONTENT_CAMPAIGNS = (("ebook-lead-scoring", 24), ("report-state-of-revops", 20),
                     ("checklist-mql-sla", 15))
WEBINAR_CAMPAIGNS = (("webinar-mql-playbook", 28), ("webinar-abm-101", 19),
                     ("webinar-customer-panel", 12))
PAID_CAMPAIGNS = (("paid-search-brand", 20), ("linkedin-abm", 16), ("paid-search-competitor", 11),
                  ("g2-listing", 7), ("partner-co-marketing", 5))

# A family of campaigns: (slug, share of the family's slots) pairs.
Family = tuple[tuple[str, int], ...]

FAMILY_OF_EVENT: Final[Mapping[str, Family]] = {
    "email_open": EMAIL_CAMPAIGNS, "email_click": EMAIL_CAMPAIGNS,
    "newsletter_subscribe": EMAIL_CAMPAIGNS, "unsubscribe": EMAIL_CAMPAIGNS,
    "email_bounce": EMAIL_CAMPAIGNS, "content_download": CONTENT_CAMPAIGNS,
    "webinar_registration": WEBINAR_CAMPAIGNS, "webinar_attended": WEBINAR_CAMPAIGNS,
}
# Hand-raising forms often come from a paid landing page; other events rarely carry a campaign.
HAND_RAISER_EVENTS = ("demo_request", "contact_sales", "form_submission")
HAND_RAISER_CAMPAIGN_P = 0.45
OTHER_CAMPAIGN_P = 0.10


def _slot_slugs(family: Family) -> list[str]:
    slugs = [slug for slug, weight in family for _ in range(weight)]
    assert len(slugs) == SLOTS, family
    return slugs


def campaign_slugs(kind: IntArray, slot: IntArray) -> pa.Array:
    """The campaign slug of each event (event type index ``kind``, drawn slot 1..59)."""
    table = np.array([_slot_slugs(FAMILY_OF_EVENT.get(event_type, PAID_CAMPAIGNS))
                      for event_type in EVENT_TYPES])
    return pa.array(table[kind, slot - 1])


def off_campaign_probability(kind: IntArray) -> np.ndarray:
    """Chance that an event of a non-campaign type still carries a campaign id."""
    hand_raisers = np.array([EVENT_TYPES.index(event_type) for event_type in HAND_RAISER_EVENTS])
    return np.where(np.isin(kind, hand_raisers), HAND_RAISER_CAMPAIGN_P, OTHER_CAMPAIGN_P)
