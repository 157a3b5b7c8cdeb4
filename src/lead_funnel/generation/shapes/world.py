"""A generated raw world (docs/funnel_rules.md §2 CSVs) normalised to one row per key, as staging
keeps it (docs/funnel_rules.md §3): the common start of a connector's tables and of its restricted
raw rendition (lead_funnel.generation.shapes).

Contacts and opportunities keep their latest version (updated_at, then _loaded_at, then file
order); events and activities their earliest delivery. Types are trimmed and lower-cased, every
timestamp is parsed to UTC. Rows whose required timestamp does not parse are left out of both
renditions (a generated clean world has none). The connector mapping seeds are read from the
project's seeds/ (LEAD_FUNNEL_PROJECT_DIR), so both renditions follow the same rows as the build.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping, TypeVar

from lead_funnel.dbt_runner import project_dir

HAND_RAISES = ("demo_request", "contact_sales")


def parse_instant(text: str) -> datetime | None:
    """ISO-8601 text as naive UTC (an offset applied, none = UTC), None when blank or malformed."""
    value = text.strip(" ")
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def utc_text(instant: datetime | None) -> str:
    return "" if instant is None else instant.isoformat(sep=" ")


def parse_flag(text: str) -> bool:
    """docs/funnel_rules.md §3 booleans: true/1/yes, any case; anything else is false."""
    return text.strip(" ").lower() in ("true", "1", "yes")


def normalised(text: str) -> str:
    return text.strip(" ").lower()


def epoch_id(contact_id: str, instant: datetime) -> str:
    """The adapter's id of a contact's change at an instant: contact_id-<epoch seconds>."""
    return f"{contact_id}-{int(instant.replace(tzinfo=timezone.utc).timestamp())}"


@dataclass(frozen=True)
class Contact:
    contact_id: str
    email: str
    job_title: str
    company_name: str
    industry: str
    country_code: str
    lead_source: str  # trimmed, lower-cased
    employee_count: str
    created_at: datetime | None
    updated_at: datetime | None
    is_deleted: bool
    loaded_at: str


@dataclass(frozen=True)
class Event:
    event_id: str
    contact_id: str
    event_type: str  # trimmed, lower-cased
    page_url: str
    campaign_id: str
    occurred_at: datetime
    loaded_at: str


@dataclass(frozen=True)
class Activity:
    activity_id: str
    contact_id: str
    owner_id: str
    activity_type: str  # trimmed, lower-cased
    occurred_at: datetime
    loaded_at: str


@dataclass(frozen=True)
class Opportunity:
    opportunity_id: str
    contact_id: str
    stage_name: str
    amount: str
    is_closed: bool
    is_won: bool
    created_at: datetime
    closed_at: datetime | None
    updated_at: datetime | None
    loaded_at: str


def _rows(raw_dir: Path, table: str) -> Iterator[dict[str, str]]:
    with (raw_dir / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {key: value or "" for key, value in row.items()}


def _order(instant: datetime | None, loaded_at: str) -> tuple[datetime, datetime]:
    lowest = datetime.min
    return (instant or lowest, parse_instant(loaded_at) or lowest)


@dataclass
class World:
    contacts: dict[str, Contact] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)  # by (occurred_at, activity_id)
    opportunities: list[Opportunity] = field(default_factory=list)

    @property
    def activity_contacts(self) -> set[str]:
        return {activity.contact_id for activity in self.activities}

    @property
    def owners(self) -> dict[str, str]:
        """Contact -> owner of its latest activity (one owner per contact in HubSpot)."""
        return {activity.contact_id: activity.owner_id for activity in self.activities}

    @property
    def hand_raised_at(self) -> dict[str, datetime]:
        """Contact -> its first demo or contact-sales request: the CRM's own MQL stamp."""
        stamps: dict[str, datetime] = {}
        for event in self.events:
            if event.event_type in HAND_RAISES:
                stamps[event.contact_id] = min(stamps.get(event.contact_id, event.occurred_at),
                                               event.occurred_at)
        return stamps

    def _created_order(self, contact_id: str) -> tuple[int, datetime, str]:
        contact = self.contacts.get(contact_id)
        created = contact.created_at if contact is not None else None
        return (created is None, created or datetime.min, contact_id)

    def first_contact_by_email(self) -> dict[str, str]:
        """Normalised e-mail -> the contact created first with it (ties by id)."""
        found: dict[str, str] = {}
        for contact_id in sorted(self.contacts, key=self._created_order):
            email = normalised(self.contacts[contact_id].email)
            if email:
                found.setdefault(email, contact_id)
        return found

    def deal_contacts(self) -> list[tuple[str, str]]:
        """(deal, contact) associations: each deal's own contact, and for every third deal a
        contact created later than it (which must not become the primary one)."""
        created = sorted((contact.created_at, contact.contact_id)
                         for contact in self.contacts.values() if contact.created_at is not None)
        pairs = []
        for number, deal in enumerate(self.opportunities):
            pairs.append((deal.opportunity_id, deal.contact_id))
            own = self.contacts.get(deal.contact_id)
            if number % 3 == 0 and own is not None and own.created_at is not None:
                later = [contact_id for at, contact_id in created if at > own.created_at]
                if later:
                    pairs.append((deal.opportunity_id, later[0]))
        return pairs

    def primary_contacts(self) -> list[tuple[str, str]]:
        """(deal, primary contact): the associated contact created first, ties by id."""
        primary: dict[str, str] = {}
        for deal_id, contact_id in self.deal_contacts():
            current = primary.get(deal_id)
            if current is None or self._created_order(contact_id) < self._created_order(current):
                primary[deal_id] = contact_id
        return sorted(primary.items())


Row = TypeVar("Row")


def _first_deliveries(raw_dir: Path, table: str, key_column: str,
                      make: Callable[[str, dict[str, str], datetime], Row]) -> dict[str, Row]:
    """key -> the delivery with the earliest _loaded_at of an append-only table (events,
    activities), made by `make(key, row, occurred_at)`; rows without a key or an occurred_at
    are left out."""
    found: dict[str, tuple[datetime, Row]] = {}
    for row in _rows(raw_dir, table):
        occurred = parse_instant(row["occurred_at"])
        key = row[key_column].strip(" ")
        loaded = parse_instant(row["_loaded_at"]) or datetime.max
        if key and occurred is not None and (key not in found or loaded < found[key][0]):
            found[key] = (loaded, make(key, row, occurred))
    return {key: made for key, (_, made) in found.items()}


def load_world(raw_dir: Path) -> World:
    world = World()
    versions: dict[str, tuple[tuple[datetime, datetime], Contact]] = {}
    for row in _rows(raw_dir, "contacts"):
        contact = Contact(
            row["contact_id"].strip(" "), row["email"], row["job_title"], row["company_name"],
            row["industry"], row["country_code"], normalised(row["lead_source"]),
            row["employee_count"], parse_instant(row["created_at"]),
            parse_instant(row["updated_at"]), parse_flag(row["is_deleted"]), row["_loaded_at"])
        order = _order(contact.updated_at, contact.loaded_at)
        if contact.contact_id and contact.created_at is not None and (
                contact.contact_id not in versions or versions[contact.contact_id][0] <= order):
            versions[contact.contact_id] = (order, contact)
    world.contacts = {key: contact for key, (_, contact) in sorted(versions.items())}
    events = _first_deliveries(raw_dir, "engagement_events", "event_id", lambda key, row, at: Event(
        key, row["contact_id"].strip(" "), normalised(row["event_type"]), row["page_url"],
        row["campaign_id"].strip(" "), at, row["_loaded_at"]))
    world.events = [event for _, event in sorted(events.items())]
    activities = _first_deliveries(
        raw_dir, "sales_activities", "activity_id", lambda key, row, at: Activity(
            key, row["contact_id"].strip(" "), row["owner_id"].strip(" "),
            normalised(row["activity_type"]), at, row["_loaded_at"]))
    world.activities = sorted(activities.values(),
                              key=lambda activity: (activity.occurred_at, activity.activity_id))
    deals: dict[str, tuple[tuple[datetime, datetime], Opportunity]] = {}
    for row in _rows(raw_dir, "opportunities"):
        created = parse_instant(row["created_at"])
        deal = Opportunity(
            row["opportunity_id"].strip(" "), row["contact_id"].strip(" "),
            row["stage_name"].strip(" "), row["amount"].strip(" "), parse_flag(row["is_closed"]),
            parse_flag(row["is_won"]), created or datetime.min, parse_instant(row["closed_at"]),
            parse_instant(row["updated_at"]), row["_loaded_at"])
        order = _order(deal.updated_at, deal.loaded_at)
        if deal.opportunity_id and created is not None and (
                deal.opportunity_id not in deals or deals[deal.opportunity_id][0] <= order):
            deals[deal.opportunity_id] = (order, deal)
    world.opportunities = [deal for _, (_, deal) in sorted(deals.items())]
    return world


def _seed(name: str) -> list[dict[str, str]]:
    return list(_rows(project_dir() / "seeds", name))


def form_event_types(connector: str) -> dict[str, str]:
    """Normalised form id or name -> event type, from seed connector_form_event_types."""
    return {normalised(row["form_id_or_name"]): normalised(row["event_type"])
            for row in _seed("connector_form_event_types") if row["connector"] == connector}


def status_activities(connector: str, source_field: str, changes: list[dict[str, str]],
                      owners: Mapping[str, str]) -> list[dict[str, str]]:
    """The §2 sales activities the adapter logs for status rows (contact_id, value, timestamp,
    _fivetran_synced): per contact in time order, a value equal to the previous one is no
    change; a change logs the seed connector_status_mapping's activity (none for a blank
    activity_type or a value with no row), by the contact's owner."""
    mapping = {normalised(row["source_value"]).upper(): row
               for row in _seed("connector_status_mapping")
               if row["connector"] == connector and row["source_field"] == source_field}
    activities = []
    previous: dict[str, str] = {}
    for change in sorted(changes, key=lambda row: (row["contact_id"],
                                                   parse_instant(row["timestamp"]))):
        value = normalised(change["value"]).upper()
        if previous.get(change["contact_id"]) == value:
            continue
        previous[change["contact_id"]] = value
        row = mapping.get(value)
        if row is None or not row["activity_type"].strip(" "):
            continue
        instant = parse_instant(change["timestamp"])
        assert instant is not None
        bant = "" if row["activity_type"] != "qualification" else (
            "true" if parse_flag(row["bant_confirmed"]) else "false")
        activities.append({
            "activity_id": epoch_id(change["contact_id"], instant),
            "contact_id": change["contact_id"], "owner_id": owners.get(change["contact_id"], ""),
            "activity_type": row["activity_type"], "rejection_reason": row["rejection_reason"],
            "budget_confirmed": bant, "authority_confirmed": bant, "need_confirmed": bant,
            "timeline_confirmed": bant, "occurred_at": utc_text(instant),
            "_loaded_at": change["_fivetran_synced"]})
    return activities
