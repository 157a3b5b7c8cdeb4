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

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

RawRow = dict[str, str]

OPEN_STATUS = "Open - Not Contacted"
CONVERTED_STATUS = "Closed - Converted"
# The default picklist value a sales step of the raw world is logged as.
STATUS_OF_ACTIVITY: dict[str, str] = {
    "sales_accepted": "Working - Contacted",
    "sales_rejected": "Closed - Not Converted",
    "disqualified": "Closed - Not Converted",
    "qualification": CONVERTED_STATUS,
}
TASK_ACTIVITIES = ("call", "email")  # logged as a task; a meeting is an event
MEMBER_STATUS_OF_EVENT: dict[str, str] = {
    "email_open": "Opened", "email_click": "Clicked", "content_download": "Downloaded",
    "newsletter_subscribe": "Subscribed", "unsubscribe": "Unsubscribed",
    "email_bounce": "Bounced", "webinar_registration": "Registered",
    "webinar_attended": "Attended",
}
RESPONDED_STATUS = "Responded"
WEBINAR_EVENTS = ("webinar_registration", "webinar_attended")
EXPECTED_CLOSE_DAYS = 30  # close_date of an open opportunity: its expected close


def utc(text: str) -> datetime | None:
    """ISO-8601 text as a naive UTC datetime (an offset applied), None when blank or malformed."""
    value = text.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def iso(moment: datetime | None) -> str:
    """A naive UTC datetime as `YYYY-MM-DDTHH:MM:SSZ` (blank for None)."""
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def day_text(moment: datetime) -> str:
    """The UTC date of a moment, as Salesforce writes a Date field."""
    return moment.strftime("%Y-%m-%d")


def truthy(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def _earliest() -> datetime:
    return datetime(1, 1, 1)


def read_rows(path: Path) -> list[RawRow]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _latest_versions(rows: list[RawRow], key: str) -> dict[str, RawRow]:
    """The latest version per key by updated_at, then _loaded_at (blank lowest)."""
    latest: dict[str, tuple[tuple[datetime, datetime], RawRow]] = {}
    for row in rows:
        rank = (utc(row["updated_at"]) or _earliest(), utc(row["_loaded_at"]) or _earliest())
        kept = latest.get(row[key])
        if kept is None or rank >= kept[0]:
            latest[row[key]] = (rank, row)
    return {name: row for name, (_, row) in latest.items()}


def _first_deliveries(rows: list[RawRow], key: str) -> list[RawRow]:
    """One row per key: the earliest _loaded_at (file order on ties)."""
    first: dict[str, RawRow] = {}
    for row in rows:
        kept = first.get(row[key])
        if kept is None or (utc(row["_loaded_at"]) or _earliest()) < (
                utc(kept["_loaded_at"]) or _earliest()):
            first[row[key]] = row
    return [first[name] for name in sorted(first)]


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
    event: RawRow
    at: datetime
    status: str


@dataclass
class Person:
    """One contact of the raw world and the Salesforce records it becomes."""

    contact_id: str
    row: RawRow
    is_lead: bool
    owner_id: str
    statuses: list[StatusChange] = field(default_factory=list)
    has_history: bool = True
    converted_at: datetime | None = None
    converted_opportunity_id: str = ""
    sf_contact_id: str = ""  # the Salesforce contact (converted lead or never a lead)
    account_id: str = ""
    activities: list[RawRow] = field(default_factory=list)  # calls, e-mails, meetings
    opportunities: list[RawRow] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)

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


def _account_key(row: RawRow) -> tuple[str, str, str]:
    return (row["company_name"], row["industry"], row["employee_count"])


def _sorted(rows: list[RawRow], time_column: str, key: str) -> list[RawRow]:
    return sorted(rows, key=lambda row: (utc(row[time_column]) or _earliest(), row[key]))


def _lead_statuses(person: Person, steps: list[RawRow]) -> None:
    """The lead's status changes, its conversion and the opportunity created with it."""
    first_opportunity = person.opportunities[0] if person.opportunities else None
    first_opportunity_at = utc(first_opportunity["created_at"]) if first_opportunity else None
    current = OPEN_STATUS
    for step in steps:
        at = utc(step["occurred_at"])
        if at is None or (first_opportunity_at is not None and at > first_opportunity_at):
            break
        status = STATUS_OF_ACTIVITY[step["activity_type"].strip().lower()]
        if status == current:
            continue
        person.statuses.append(StatusChange(step["activity_id"], status, at, step["_loaded_at"]))
        current = status
        if status == CONVERTED_STATUS:
            person.converted_at = at
            if first_opportunity is not None and person.number % 2:
                # converted with its first opportunity (no contact role: the lead names it)
                person.converted_opportunity_id = first_opportunity["opportunity_id"]
            break
    if person.converted_at is None and first_opportunity is not None and first_opportunity_at:
        person.converted_at = first_opportunity_at
        person.converted_opportunity_id = first_opportunity["opportunity_id"]
        person.statuses.append(StatusChange("H-" + first_opportunity["opportunity_id"],
                                            CONVERTED_STATUS, first_opportunity_at,
                                            first_opportunity["_loaded_at"]))
    person.has_history = not (len(person.statuses) == 1 and person.number % 5 == 3)


def _memberships(person: Person, events: list[RawRow]) -> None:
    seen: set[str] = set()
    for event in _sorted(events, "occurred_at", "event_id"):
        campaign_id = event["campaign_id"].strip()
        at = utc(event["occurred_at"])
        if not campaign_id or campaign_id in seen or at is None:
            continue
        seen.add(campaign_id)
        status = MEMBER_STATUS_OF_EVENT.get(event["event_type"].strip().lower(), RESPONDED_STATUS)
        person.memberships.append(Membership(event["event_id"], campaign_id, event, at, status))


def _campaign_types(people: list[Person]) -> dict[str, str]:
    webinar: Counter[str] = Counter()
    members: Counter[str] = Counter()
    for person in people:
        for membership in person.memberships:
            members[membership.campaign_id] += 1
            if membership.event["event_type"].strip().lower() in WEBINAR_EVENTS:
                webinar[membership.campaign_id] += 1
    return {campaign: ("Webinar" if 2 * webinar[campaign] > count else "Email")
            for campaign, count in sorted(members.items())}


def _usable(raw_dir: Path, table: str, key: str, required: str) -> list[RawRow]:
    """The rows with a key, a contact and a parseable required timestamp (a dirty row, which
    staging would quarantine, has no place in a connector's tables)."""
    return [row for row in read_rows(raw_dir / f"{table}.csv")
            if row[key].strip() and row["contact_id"].strip() and utc(row[required])]


def plan_salesforce(raw_dir: Path) -> SalesforcePlan:
    """The plan of the raw world in ``raw_dir`` (see the module docstring)."""
    contacts = _latest_versions(_usable(raw_dir, "contacts", "contact_id", "created_at"),
                                "contact_id")
    opportunities = _latest_versions(
        _usable(raw_dir, "opportunities", "opportunity_id", "created_at"), "opportunity_id")
    events = _first_deliveries(
        _usable(raw_dir, "engagement_events", "event_id", "occurred_at"), "event_id")
    activities = [row for row in _first_deliveries(
        _usable(raw_dir, "sales_activities", "activity_id", "occurred_at"), "activity_id")
        if row["activity_type"].strip().lower() in (*STATUS_OF_ACTIVITY, *TASK_ACTIVITIES,
                                                    "meeting")]
    by_contact: dict[str, dict[str, list[RawRow]]] = {}
    for table, rows in (("opportunities", list(opportunities.values())), ("events", events),
                        ("activities", activities)):
        for row in rows:
            by_contact.setdefault(row["contact_id"], {}).setdefault(table, []).append(row)
    people: list[Person] = []
    accounts: dict[tuple[str, str, str], str] = {}
    for contact_id in sorted(contacts):
        row = contacts[contact_id]
        own = by_contact.get(contact_id, {})
        acts = _sorted(own.get("activities", []), "occurred_at", "activity_id")
        steps = [a for a in acts if a["activity_type"].strip().lower() in STATUS_OF_ACTIVITY]
        owners = steps or acts
        person = Person(contact_id, row, is_lead=True,
                        owner_id=owners[-1]["owner_id"] if owners else "rep_01")
        person.is_lead = person.number % 10 != 7
        person.opportunities = _sorted(own.get("opportunities", []), "created_at",
                                       "opportunity_id")
        person.activities = [a for a in acts if a["activity_type"].strip().lower()
                             in (*TASK_ACTIVITIES, "meeting")]
        if person.is_lead:
            _lead_statuses(person, steps)
        if person.is_converted or not person.is_lead:
            person.sf_contact_id = (contact_id.replace("C-", "CT-", 1) if person.is_lead
                                    else contact_id)
            key = _account_key(row)
            person.account_id = accounts.setdefault(key, f"ACC-{len(accounts) + 1:06d}")
        _memberships(person, own.get("events", []))
        people.append(person)
    return SalesforcePlan(people, accounts, _campaign_types(people))


def expected_close(opportunity: RawRow) -> datetime:
    """The close_date of an opportunity: its closed_at, else its expected close."""
    closed = utc(opportunity["closed_at"])
    if closed is not None:
        return closed
    created = utc(opportunity["created_at"]) or _earliest()
    return created + timedelta(days=EXPECTED_CLOSE_DAYS)


def midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
