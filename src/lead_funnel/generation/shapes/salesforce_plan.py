"""The generated raw world as a Salesforce org would hold it: the plan both renditions share.

:func:`plan_salesforce` reads the raw-contract CSVs a ``lead-funnel generate`` wrote, folds them
as staging does (docs/funnel_rules.md §3: the latest version of a contact or opportunity, the
first delivery of an event or activity) and decides, person by person, what Salesforce records
the world becomes (docs/funnel_rules.md §10, Salesforce):

- every person is a lead (id = its contact_id), except one in ten (contact numbers ending in 7)
  that never were leads: a contact (id = its contact_id) on an account;
- the lead status follows the person's sales steps on the default picklist (sales_accepted ->
  ``Working - Contacted``; sales_rejected and disqualified -> ``Closed - Not Converted``;
  qualification -> ``Closed - Converted``, which converts the lead); a step that leaves the
  status as it is writes nothing (Salesforce records changes only); a lead with an opportunity
  is converted at its first opportunity at the latest, and a converted lead's status never
  changes again;
- a converted lead gets a contact (``CT-`` + its number) on the account of its company, and
  its tasks and events move to that contact, as Salesforce's conversion does;
- one lead in five whose history holds a single status change (contact numbers ending in 3 or
  8) has no ``lead_history`` row: its status and last_modified_date carry the change instead;
- each person's first event of each campaign (by occurred_at, event_id) is its campaign
  membership, responded on the event's UTC date; the campaign's type is Webinar when most of
  its memberships are webinar events, else Email, and the member status names the event.

:mod:`lead_funnel.generation.shapes.salesforce` renders this plan twice: as the Salesforce
tables Fivetran lands, and as the raw-contract tables the connector's adapter must give back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Mapping

from lead_funnel.generation.shapes.world import (
    Activity,
    Contact,
    Event,
    Opportunity,
    load_world,
)

OPEN_STATUS = "Open - Not Contacted"
CONVERTED_STATUS = "Closed - Converted"
# The default picklist value a sales step of the raw world is logged as.
STATUS_OF_ACTIVITY: Final[Mapping[str, str]] = {
    "sales_accepted": "Working - Contacted",
    "sales_rejected": "Closed - Not Converted",
    "disqualified": "Closed - Not Converted",
    "qualification": CONVERTED_STATUS,
}
LOGGED_ACTIVITIES = ("call", "email", "meeting")  # a call or an e-mail is a task, a meeting an event
MEMBER_STATUS_OF_EVENT: Final[Mapping[str, str]] = {
    "email_open": "Opened", "email_click": "Clicked", "content_download": "Downloaded",
    "newsletter_subscribe": "Subscribed", "unsubscribe": "Unsubscribed",
    "email_bounce": "Bounced", "webinar_registration": "Registered",
    "webinar_attended": "Attended",
}
RESPONDED_STATUS = "Responded"
WEBINAR_EVENTS = ("webinar_registration", "webinar_attended")
EXPECTED_CLOSE_DAYS = 30  # close_date of an open opportunity: its expected close


def iso(moment: datetime | None) -> str:
    """A naive UTC datetime as `YYYY-MM-DDTHH:MM:SSZ` (blank for None)."""
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def day_text(moment: datetime) -> str:
    """The UTC date of a moment, as Salesforce writes a Date field."""
    return moment.strftime("%Y-%m-%d")


def midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class StatusChange:
    """A value the lead's Status took: one lead_history row (or the lead's current status)."""

    change_id: str
    status: str
    at: datetime
    loaded_at: str


@dataclass(frozen=True)
class Membership:
    """A person's response to a campaign: its first event there."""

    member_id: str
    campaign_id: str
    event: Event
    status: str


@dataclass
class Person:
    """One contact of the raw world and the Salesforce records it becomes."""

    contact: Contact
    is_lead: bool
    owner_id: str
    statuses: list[StatusChange] = field(default_factory=list)
    has_history: bool = True
    converted_at: datetime | None = None
    converted_opportunity_id: str = ""
    sf_contact_id: str = ""  # the Salesforce contact (converted lead or never a lead)
    account_id: str = ""
    activities: list[Activity] = field(default_factory=list)  # calls, e-mails, meetings
    opportunities: list[Opportunity] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)

    @property
    def contact_id(self) -> str:
        return self.contact.contact_id

    @property
    def number(self) -> int:
        digits = "".join(ch for ch in self.contact_id if ch.isdigit())
        return int(digits or "0")

    @property
    def is_converted(self) -> bool:
        return self.converted_at is not None

    @property
    def current_status(self) -> str:
        return self.statuses[-1].status if self.statuses else OPEN_STATUS


@dataclass
class SalesforcePlan:
    people: list[Person]
    accounts: dict[tuple[str, str, str], str]  # (company, industry, employees) -> account id
    campaign_types: dict[str, str]

    def person_by_contact(self) -> dict[str, Person]:
        return {person.sf_contact_id: person for person in self.people if person.sf_contact_id}


def _account_key(contact: Contact) -> tuple[str, str, str]:
    return (contact.company_name, contact.industry, contact.employee_count)


def _lead_statuses(person: Person, steps: list[Activity]) -> None:
    """The lead's status changes, its conversion and the opportunity converted with it."""
    first_opportunity = person.opportunities[0] if person.opportunities else None
    first_opportunity_at = first_opportunity.created_at if first_opportunity else None
    current = OPEN_STATUS
    for step in steps:
        if first_opportunity_at is not None and step.occurred_at > first_opportunity_at:
            break
        status = STATUS_OF_ACTIVITY[step.activity_type]
        if status == current:
            continue
        person.statuses.append(StatusChange(step.activity_id, status, step.occurred_at,
                                            step.loaded_at))
        current = status
        if status == CONVERTED_STATUS:
            person.converted_at = step.occurred_at
            if first_opportunity is not None and person.number % 2:
                # converted with its first opportunity (no contact role: the lead names it)
                person.converted_opportunity_id = first_opportunity.opportunity_id
            break
    if person.converted_at is None and first_opportunity is not None:
        person.converted_at = first_opportunity.created_at
        person.converted_opportunity_id = first_opportunity.opportunity_id
        person.statuses.append(StatusChange("H-" + first_opportunity.opportunity_id,
                                            CONVERTED_STATUS, first_opportunity.created_at,
                                            first_opportunity.loaded_at))
    person.has_history = not (len(person.statuses) == 1 and person.number % 5 == 3)


def _memberships(person: Person, events: list[Event]) -> None:
    seen: set[str] = set()
    for event in sorted(events, key=lambda event: (event.occurred_at, event.event_id)):
        if not event.campaign_id or event.campaign_id in seen:
            continue
        seen.add(event.campaign_id)
        status = MEMBER_STATUS_OF_EVENT.get(event.event_type, RESPONDED_STATUS)
        person.memberships.append(Membership(event.event_id, event.campaign_id, event, status))


def _campaign_types(people: list[Person]) -> dict[str, str]:
    webinar: Counter[str] = Counter()
    members: Counter[str] = Counter()
    for person in people:
        for membership in person.memberships:
            members[membership.campaign_id] += 1
            if membership.event.event_type in WEBINAR_EVENTS:
                webinar[membership.campaign_id] += 1
    return {campaign: ("Webinar" if 2 * webinar[campaign] > count else "Email")
            for campaign, count in sorted(members.items())}


def plan_salesforce(raw_dir: Path) -> SalesforcePlan:
    """The plan of the raw world in ``raw_dir`` (see the module docstring)."""
    world = load_world(raw_dir)
    events: dict[str, list[Event]] = {}
    for event in world.events:
        events.setdefault(event.contact_id, []).append(event)
    activities: dict[str, list[Activity]] = {}
    for activity in world.activities:  # in (occurred_at, activity_id) order
        activities.setdefault(activity.contact_id, []).append(activity)
    opportunities: dict[str, list[Opportunity]] = {}
    for deal in sorted(world.opportunities, key=lambda deal: (deal.created_at, deal.opportunity_id)):
        opportunities.setdefault(deal.contact_id, []).append(deal)
    people: list[Person] = []
    accounts: dict[tuple[str, str, str], str] = {}
    for contact_id, contact in world.contacts.items():
        acts = activities.get(contact_id, [])
        steps = [a for a in acts if a.activity_type in STATUS_OF_ACTIVITY]
        owners = steps or acts
        person = Person(contact, is_lead=True,
                        owner_id=owners[-1].owner_id if owners else "rep_01")
        person.is_lead = person.number % 10 != 7
        person.opportunities = opportunities.get(contact_id, [])
        person.activities = [a for a in acts if a.activity_type in LOGGED_ACTIVITIES]
        if person.is_lead:
            _lead_statuses(person, steps)
        if person.is_converted or not person.is_lead:
            person.sf_contact_id = (contact_id.replace("C-", "CT-", 1) if person.is_lead
                                    else contact_id)
            key = _account_key(contact)
            person.account_id = accounts.setdefault(key, f"ACC-{len(accounts) + 1:06d}")
        _memberships(person, events.get(contact_id, []))
        people.append(person)
    return SalesforcePlan(people, accounts, _campaign_types(people))


def expected_close(opportunity: Opportunity) -> datetime:
    """The close_date of an opportunity: its closed_at, else its expected close."""
    if opportunity.closed_at is not None:
        return opportunity.closed_at
    return opportunity.created_at + timedelta(days=EXPECTED_CLOSE_DAYS)
