"""The Salesforce shape of a generated world (docs/funnel_rules.md §10, Salesforce).

:func:`write_salesforce` writes the world as Fivetran lands a Salesforce org: one CSV per table
(``lead``, ``contact``, ``account``, ``opportunity``, ``opportunity_contact_role``,
``campaign``, ``campaign_member``, ``lead_history``, ``task``, ``event``, ``user``), with
Fivetran's column names. :func:`restrict_salesforce` writes the raw-contract rendition of the
same world restricted to what Salesforce can express, read through the mapping seeds exactly as
docs/connect_your_crm.md (Salesforce) says the adapter reads them; the parity test builds both
and requires equal marts. Both render the plan of
:mod:`lead_funnel.generation.shapes.salesforce_plan`.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final, Iterable, Mapping, Sequence

from lead_funnel.contract import TABLE_COLUMNS
from lead_funnel.dbt_runner import project_dir
from lead_funnel.generation.shapes.salesforce_plan import (
    Person,
    SalesforcePlan,
    StatusChange,
    day_text,
    expected_close,
    iso,
    midnight,
    plan_salesforce,
)
from lead_funnel.generation.shapes.world import form_event_types, normalised, parse_flag

RawRow = dict[str, str]

CONNECTOR = "salesforce"
# The columns each landed table is written with (Fivetran's names; a subset of what it lands).
SALESFORCE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "lead": ("id", "first_name", "last_name", "company", "title", "industry", "country",
             "email", "lead_source", "number_of_employees", "status", "owner_id",
             "is_converted", "converted_contact_id", "converted_account_id",
             "converted_opportunity_id", "converted_date", "created_date",
             "last_modified_date", "is_deleted", "_fivetran_synced"),
    "contact": ("id", "account_id", "email", "title", "mailing_country", "lead_source",
                "owner_id", "created_date", "last_modified_date", "is_deleted",
                "_fivetran_synced"),
    "account": ("id", "name", "industry", "number_of_employees", "is_deleted",
                "_fivetran_synced"),
    "opportunity": ("id", "account_id", "name", "amount", "stage_name", "is_closed", "is_won",
                    "created_date", "close_date", "last_modified_date", "owner_id",
                    "is_deleted", "_fivetran_synced"),
    "opportunity_contact_role": ("id", "opportunity_id", "contact_id", "role", "is_primary",
                                 "created_date", "is_deleted", "_fivetran_synced"),
    "campaign": ("id", "name", "type", "status", "is_deleted", "_fivetran_synced"),
    "campaign_member": ("id", "campaign_id", "lead_id", "contact_id", "status",
                        "has_responded", "first_responded_date", "created_date",
                        "is_deleted", "_fivetran_synced"),
    "lead_history": ("id", "lead_id", "field", "old_value", "new_value", "created_date",
                     "is_deleted", "_fivetran_synced"),
    "task": ("id", "who_id", "owner_id", "subject", "type", "task_subtype", "status",
             "created_date", "is_deleted", "_fivetran_synced"),
    "event": ("id", "who_id", "owner_id", "subject", "type", "created_date", "is_deleted",
              "_fivetran_synced"),
    "user": ("id", "name", "is_active", "_fivetran_synced"),
}


def _write(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _who_id(person: Person) -> str:
    """Tasks and events hang on the contact once converted (Salesforce moves them there)."""
    return person.sf_contact_id or person.contact_id


def _lead(person: Person) -> RawRow:
    contact, last = person.contact, person.statuses[-1] if person.statuses else None
    modified = iso(contact.updated_at if person.has_history or last is None else last.at)
    return {
        "id": person.contact_id, "first_name": "Lead", "last_name": person.contact_id,
        "company": contact.company_name, "title": contact.job_title,
        "industry": contact.industry, "country": contact.country_code, "email": contact.email,
        "lead_source": contact.lead_source, "number_of_employees": contact.employee_count,
        "status": person.current_status, "owner_id": person.owner_id,
        "is_converted": _flag(person.is_converted),
        "converted_contact_id": person.sf_contact_id if person.is_converted else "",
        "converted_account_id": person.account_id if person.is_converted else "",
        "converted_opportunity_id": person.converted_opportunity_id,
        "converted_date": day_text(person.converted_at) if person.converted_at else "",
        "created_date": iso(contact.created_at), "last_modified_date": modified,
        "is_deleted": _flag(contact.is_deleted), "_fivetran_synced": contact.loaded_at,
    }


def _contact(person: Person) -> RawRow:
    contact = person.contact
    created = person.converted_at if person.is_lead else contact.created_at
    return {
        "id": person.sf_contact_id, "account_id": person.account_id, "email": contact.email,
        "title": contact.job_title, "mailing_country": contact.country_code,
        "lead_source": contact.lead_source, "owner_id": person.owner_id,
        "created_date": iso(created), "last_modified_date": iso(contact.updated_at),
        "is_deleted": _flag(contact.is_deleted), "_fivetran_synced": contact.loaded_at,
    }


def _history(person: Person) -> list[RawRow]:
    rows, previous = [], "Open - Not Contacted"
    for change in person.statuses:
        rows.append({"id": change.change_id, "lead_id": person.contact_id, "field": "Status",
                     "old_value": previous, "new_value": change.status,
                     "created_date": iso(change.at), "is_deleted": "false",
                     "_fivetran_synced": change.loaded_at})
        previous = change.status
    if person.number % 4 == 1:  # a change of another field, which the adapter ignores
        rows.append({"id": f"H-OWNER-{person.contact_id}", "lead_id": person.contact_id,
                     "field": "Owner", "old_value": "rep_00", "new_value": person.owner_id,
                     "created_date": iso(person.contact.created_at), "is_deleted": "false",
                     "_fivetran_synced": person.contact.loaded_at})
    return rows


def _opportunity_rows(plan: SalesforcePlan) -> tuple[list[RawRow], list[RawRow]]:
    opportunities, roles = [], []
    colleagues = [person for person in plan.people if person.sf_contact_id]
    for person in plan.people:
        for deal in person.opportunities:
            created = iso(deal.created_at)
            opportunities.append({
                "id": deal.opportunity_id, "account_id": person.account_id,
                "name": f"{person.contact.company_name} deal", "amount": deal.amount,
                "stage_name": deal.stage_name, "is_closed": _flag(deal.is_closed),
                "is_won": _flag(deal.is_won), "created_date": created,
                "close_date": day_text(expected_close(deal)),
                "last_modified_date": iso(deal.updated_at), "owner_id": person.owner_id,
                "is_deleted": "false", "_fivetran_synced": deal.loaded_at})
            role = {"opportunity_id": deal.opportunity_id, "is_deleted": "false",
                    "_fivetran_synced": deal.loaded_at}
            if not (deal.opportunity_id == person.converted_opportunity_id and person.number % 2):
                roles.append({**role, "id": f"OCR-{deal.opportunity_id}",
                              "contact_id": person.sf_contact_id, "role": "Decision Maker",
                              "is_primary": "true", "created_date": created})
            other = next((c for c in colleagues if c is not person), None)
            if other is not None and person.number % 2 == 0:
                # a non-primary role of someone else: is_primary decides, not creation order
                roles.append({**role, "id": f"OCR-{deal.opportunity_id}-2",
                              "contact_id": other.sf_contact_id, "role": "Influencer",
                              "is_primary": "false",
                              "created_date": iso(other.contact.created_at)})
        if person.opportunities and person.number % 3 == 0:  # deleted: the adapter skips it
            first = person.opportunities[0]
            opportunities.append({"id": f"DEL-{person.contact_id}", "account_id": person.account_id,
                                  "name": "deleted deal", "amount": "1.00", "stage_name": "Demo",
                                  "is_closed": "false", "is_won": "false",
                                  "created_date": iso(first.created_at),
                                  "close_date": "2025-12-01", "is_deleted": "true",
                                  "_fivetran_synced": first.loaded_at})
    return opportunities, roles


def _activity_rows(plan: SalesforcePlan) -> tuple[list[RawRow], list[RawRow]]:
    tasks, events = [], []
    for person in plan.people:
        for activity in person.activities:
            kind = activity.activity_type
            row = {"id": activity.activity_id, "who_id": _who_id(person),
                   "owner_id": activity.owner_id, "subject": kind.title(),
                   "created_date": iso(activity.occurred_at), "is_deleted": "false",
                   "_fivetran_synced": activity.loaded_at}
            if kind != "meeting":
                subtype = "Email" if kind == "email" else "Call"
                tasks.append({**row, "type": subtype, "task_subtype": subtype,
                              "status": "Completed"})
            else:
                events.append({**row, "type": "Meeting"})
    return tasks, events


def _membership_rows(plan: SalesforcePlan) -> list[RawRow]:
    rows = []
    for person in plan.people:
        for membership in person.memberships:
            rows.append({
                "id": membership.member_id, "campaign_id": membership.campaign_id,
                "lead_id": person.contact_id if person.is_lead else "",
                "contact_id": person.sf_contact_id, "status": membership.status,
                "has_responded": "true",
                "first_responded_date": day_text(membership.event.occurred_at),
                "created_date": iso(membership.event.occurred_at), "is_deleted": "false",
                "_fivetran_synced": membership.event.loaded_at})
        if person.number % 11 == 0 and plan.campaign_types:  # sent, never responded
            campaign = sorted(plan.campaign_types)[person.number % len(plan.campaign_types)]
            if all(m.campaign_id != campaign for m in person.memberships):
                rows.append({"id": f"CM-SENT-{person.contact_id}", "campaign_id": campaign,
                             "lead_id": person.contact_id if person.is_lead else "",
                             "contact_id": person.sf_contact_id, "status": "Sent",
                             "has_responded": "false",
                             "created_date": iso(person.contact.created_at),
                             "is_deleted": "false",
                             "_fivetran_synced": person.contact.loaded_at})
    return rows


def write_salesforce(raw_dir: Path, out_dir: Path) -> None:
    """Write the world of ``raw_dir`` as Fivetran lands Salesforce, one CSV per table."""
    plan = plan_salesforce(Path(raw_dir))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    people = plan.people
    opportunities, roles = _opportunity_rows(plan)
    tasks, events = _activity_rows(plan)
    owners = sorted({p.owner_id for p in people} | {t["owner_id"] for t in tasks + events})
    accounts = [{"id": account_id, "name": key[0], "industry": key[1],
                 "number_of_employees": key[2], "is_deleted": "false",
                 "_fivetran_synced": "2025-01-01T00:00:00Z"}
                for key, account_id in plan.accounts.items()]
    tables: dict[str, list[RawRow]] = {
        "lead": [_lead(p) for p in people if p.is_lead],
        "contact": [_contact(p) for p in people if p.sf_contact_id],
        "account": accounts,
        "opportunity": opportunities,
        "opportunity_contact_role": roles,
        "campaign": [{"id": c, "name": f"{kind} {c}", "type": kind, "status": "Completed",
                      "is_deleted": "false", "_fivetran_synced": "2025-01-01T00:00:00Z"}
                     for c, kind in plan.campaign_types.items()],
        "campaign_member": _membership_rows(plan),
        "lead_history": [row for p in people if p.is_lead and p.has_history
                         for row in _history(p)],
        "task": tasks,
        "event": events,
        "user": [{"id": o, "name": o.replace("_", " ").title(), "is_active": "true",
                  "_fivetran_synced": "2025-01-01T00:00:00Z"} for o in owners],
    }
    for name, rows in tables.items():
        _write(out / f"{name}.csv", SALESFORCE_COLUMNS[name], rows)


# --- the restricted raw rendition -----------------------------------------------------------

def _status_mapping() -> dict[str, RawRow]:
    """Seed connector_status_mapping's Salesforce Status rows by value (trimmed, any case)."""
    with (project_dir() / "seeds" / "connector_status_mapping.csv").open(
            newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {normalised(row["source_value"]): row for row in rows
            if normalised(row["connector"]) == CONNECTOR
            and normalised(row["source_field"]) == "status"}


def _status_activity(person: Person, change: StatusChange, activity_id: str, loaded_at: str,
                     mapping: Mapping[str, RawRow]) -> RawRow | None:
    rule = mapping.get(normalised(change.status))
    if rule is None or not rule["activity_type"].strip():
        return None
    bant = "true" if parse_flag(rule["bant_confirmed"]) else ""
    return {"activity_id": activity_id, "contact_id": person.contact_id,
            "owner_id": person.owner_id, "activity_type": normalised(rule["activity_type"]),
            "rejection_reason": normalised(rule["rejection_reason"]), "budget_confirmed": bant,
            "authority_confirmed": bant, "need_confirmed": bant, "timeline_confirmed": bant,
            "occurred_at": iso(change.at), "_loaded_at": loaded_at}


def _status_activities(person: Person, mapping: Mapping[str, RawRow]) -> list[RawRow]:
    """The Status history's activities (or the current status's), and the conversion's when no
    status gave a qualification."""
    if person.has_history:
        found = [_status_activity(person, change, change.change_id, change.loaded_at, mapping)
                 for change in person.statuses]
    else:  # the current status at last_modified_date
        found = [_status_activity(person, change, person.contact_id + ":status",
                                  person.contact.loaded_at, mapping)
                 for change in person.statuses[-1:]]
    rows = [row for row in found if row is not None]
    if person.converted_at and all(row["activity_type"] != "qualification" for row in rows):
        rows.append({"activity_id": person.contact_id + ":converted",
                     "contact_id": person.contact_id, "owner_id": person.owner_id,
                     "activity_type": "qualification",
                     "occurred_at": iso(midnight(person.converted_at)),
                     "_loaded_at": person.contact.loaded_at})
    return rows


def _restricted_activities(plan: SalesforcePlan) -> list[RawRow]:
    mapping = _status_mapping()
    rows: list[RawRow] = []
    for person in plan.people:
        rows += _status_activities(person, mapping)
        rows += [{"activity_id": activity.activity_id, "contact_id": person.contact_id,
                  "owner_id": activity.owner_id, "activity_type": activity.activity_type,
                  "occurred_at": iso(activity.occurred_at), "_loaded_at": activity.loaded_at}
                 for activity in person.activities]
    return rows


def _restricted_events(plan: SalesforcePlan) -> list[RawRow]:
    event_types = form_event_types(CONNECTOR)
    rows = []
    for person in plan.people:
        for membership in person.memberships:
            kind = plan.campaign_types[membership.campaign_id]
            keys = (f"{kind} / {membership.status}", kind, membership.status)
            found = [event_types[normalised(k)] for k in keys if normalised(k) in event_types]
            rows.append({"event_id": membership.member_id, "contact_id": person.contact_id,
                         "event_type": (found or ["form_submission"])[0],
                         "campaign_id": membership.campaign_id,
                         "occurred_at": iso(midnight(membership.event.occurred_at)),
                         "_loaded_at": membership.event.loaded_at})
    return rows


def _restricted_contact(person: Person) -> RawRow:
    contact = person.contact
    last = person.statuses[-1] if person.statuses else None
    lead_only = person.is_lead and not person.is_converted
    updated = last.at if lead_only and not person.has_history and last else contact.updated_at
    return {"contact_id": person.contact_id, "email": contact.email,
            "job_title": contact.job_title, "company_name": contact.company_name,
            "industry": contact.industry, "country_code": contact.country_code,
            "lead_source": contact.lead_source, "employee_count": contact.employee_count,
            "created_at": iso(contact.created_at), "updated_at": iso(updated),
            "is_deleted": _flag(contact.is_deleted), "_loaded_at": contact.loaded_at}


def _restricted_opportunities(plan: SalesforcePlan) -> list[RawRow]:
    return [{"opportunity_id": deal.opportunity_id, "contact_id": person.contact_id,
             "created_at": iso(deal.created_at), "closed_at": iso(midnight(expected_close(deal))),
             "updated_at": iso(deal.updated_at), "_loaded_at": deal.loaded_at,
             "stage_name": deal.stage_name, "amount": deal.amount,
             "is_closed": _flag(deal.is_closed), "is_won": _flag(deal.is_won)}
            for person in plan.people for deal in person.opportunities]


def restrict_salesforce(raw_dir: Path, out_dir: Path) -> None:
    """Write the raw-contract rendition of the world of ``raw_dir`` restricted to what the
    Salesforce adapter gives (docs/connect_your_crm.md, Salesforce: what it cannot express)."""
    plan = plan_salesforce(Path(raw_dir))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "contacts": [_restricted_contact(p) for p in plan.people],
        "engagement_events": _restricted_events(plan),
        "sales_activities": _restricted_activities(plan),
        "opportunities": _restricted_opportunities(plan),
    }
    for name, rows in tables.items():
        _write(out / f"{name}.csv", TABLE_COLUMNS[name], rows)
