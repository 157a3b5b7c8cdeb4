"""The generated world as Fivetran's HubSpot connector lands it, and its restricted raw rendition
(docs/funnel_rules.md §10; lead_funnel.generation.shapes).

Tables and columns are those of fivetran/dbt_hubspot's sources: ``contact`` (``id`` and
``property_*`` columns), ``email_event`` (``id, type, recipient, created, email_campaign_id``),
``contact_form_submission`` (``contact_id, timestamp, form_id, page_url, conversion_id``),
``contact_property_history`` (``contact_id, name, value, timestamp, source``), ``deal``,
``deal_pipeline_stage`` and ``deal_contact``, each with ``_fivetran_synced``.

Both renditions start from one normalised world (:mod:`.world`: one row per key, as staging would
keep it) and apply the same readings, so the adapter's build and the restricted build must give
the same marts:
- e-mail opens, clicks, bounces and unsubscribes become ``email_event`` rows sent to the
  contact's address (OPEN, CLICK, BOUNCE, SPAMREPORT / STATUSCHANGE), plus a DELIVERED row per
  open that the adapter must ignore; an event belongs to the contact created first with that
  address (none without one);
- forms, demo and contact-sales requests, webinar registrations, downloads, newsletter and trial
  sign-ups become form submissions of one form per kind; their type is whatever the seed
  connector_form_event_types says for that form (default form_submission); no campaign;
- page views, webinar attendance, product usage, social follows and unknown types have no place
  in these tables and are dropped; employee counts too (no contact column carries them);
- sales activities become hs_lead_status changes (sales_accepted -> IN_PROGRESS /
  ATTEMPTED_TO_CONTACT / CONNECTED, qualification -> OPEN_DEAL, sales_rejected -> BAD_TIMING,
  disqualified -> UNQUALIFIED; NEW at creation), one value per instant, and only changes count;
  calls, meetings and e-mails have no status; the activity the seed connector_status_mapping
  gives is logged by the contact's owner (that of its latest activity);
- opportunities become deals with a pipeline stage per (label, closed, won); every third deal
  also gets a contact created later than its own, which must not become its primary contact.
"""

from __future__ import annotations

import csv
import uuid
from datetime import datetime
from pathlib import Path
from typing import Mapping, Sequence

from lead_funnel.contract import TABLE_COLUMNS
from lead_funnel.generation.shapes.world import (
    World,
    form_event_types,
    load_world,
    normalised,
    parse_flag,
    status_activities,
    utc_text,
)

CONNECTOR = "hubspot"

# docs/funnel_rules.md §10: property_hs_analytics_source (lower-cased) -> lead_source.
SOURCE_READINGS: Mapping[str, str] = {
    "email_marketing": "email", "social_media": "social", "paid_social": "social",
    "referrals": "referral", "direct_traffic": "direct", "offline": "events",
    "other_campaigns": "other",
}
# How the generated world's channels land in HubSpot (partner has no HubSpot source).
HUBSPOT_SOURCES: Mapping[str, str] = {
    "organic_search": "ORGANIC_SEARCH", "paid_search": "PAID_SEARCH", "social": "SOCIAL_MEDIA",
    "email": "EMAIL_MARKETING", "referral": "REFERRALS", "direct": "DIRECT_TRAFFIC",
    "events": "OFFLINE", "partner": "OTHER_CAMPAIGNS", "other": "OTHER_CAMPAIGNS",
}
EMAIL_TYPES: Mapping[str, str] = {
    "email_open": "OPEN", "email_click": "CLICK", "email_bounce": "BOUNCE",
    "unsubscribe": "SPAMREPORT",
}
FORM_TYPES: tuple[str, ...] = (
    "form_submission", "demo_request", "contact_sales", "webinar_registration",
    "content_download", "newsletter_subscribe", "trial_signup",
)
# Sales activity -> hs_lead_status; sales_accepted cycles through the three accepting values.
ACCEPTING_STATUSES: tuple[str, ...] = ("IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED")
STATUSES: Mapping[str, str] = {
    "qualification": "OPEN_DEAL", "sales_rejected": "BAD_TIMING", "disqualified": "UNQUALIFIED",
}


def form_id(event_type: str) -> str:
    """The HubSpot form (a GUID, stable) the generated world submits for an event type."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://lead-funnel.example/forms/{event_type}"))


def funnel_source(hubspot_source: str) -> str:
    """lead_source from property_hs_analytics_source, as the adapter reads it (§10)."""
    value = hubspot_source.strip(" ").lower()
    return SOURCE_READINGS.get(value, value)


def _write(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _lead_statuses(world: World) -> list[dict[str, str]]:
    """contact_property_history rows of hs_lead_status: NEW at creation, then the status of each
    status-bearing activity; one value per instant (the latest activity's)."""
    by_instant: dict[tuple[str, datetime], dict[str, str]] = {}
    for contact in world.contacts.values():
        if contact.created_at is not None and contact.contact_id in world.activity_contacts:
            by_instant[(contact.contact_id, contact.created_at)] = {
                "contact_id": contact.contact_id, "value": "NEW",
                "timestamp": utc_text(contact.created_at), "_fivetran_synced": contact.loaded_at}
    for number, activity in enumerate(world.activities):
        status = (ACCEPTING_STATUSES[number % 3] if activity.activity_type == "sales_accepted"
                  else STATUSES.get(activity.activity_type))
        if status is None:
            continue
        by_instant[(activity.contact_id, activity.occurred_at)] = {
            "contact_id": activity.contact_id, "value": status,
            "timestamp": utc_text(activity.occurred_at), "_fivetran_synced": activity.loaded_at}
    return [dict(row, name="hs_lead_status", source="CRM_UI")
            for _, row in sorted(by_instant.items(), key=lambda item: item[0])]


def _email_rows(world: World) -> list[dict[str, str]]:
    rows = []
    for number, event in enumerate(world.events):
        kind = EMAIL_TYPES.get(event.event_type)
        if kind is None:
            continue
        if kind == "SPAMREPORT" and number % 2:
            kind = "STATUSCHANGE"
        contact = world.contacts.get(event.contact_id)
        row = {"id": event.event_id, "type": kind,
               "recipient": contact.email if contact is not None else "",
               "created": utc_text(event.occurred_at),
               "email_campaign_id": event.campaign_id, "_fivetran_synced": event.loaded_at}
        rows.append(row)
        if kind == "OPEN":
            rows.append(dict(row, id=f"{event.event_id}-delivered", type="DELIVERED"))
    return rows


def write_hubspot(raw_dir: Path, out_dir: Path) -> None:
    """Write the world of ``raw_dir`` as Fivetran's HubSpot tables, one CSV each, in ``out_dir``."""
    world = load_world(raw_dir)
    contacts = [{
        "id": contact.contact_id, "property_email": contact.email,
        "property_jobtitle": contact.job_title, "property_company": contact.company_name,
        "property_industry": contact.industry, "property_country": contact.country_code,
        "property_hs_analytics_source": HUBSPOT_SOURCES.get(contact.lead_source, ""),
        "property_createdate": utc_text(contact.created_at),
        "property_lastmodifieddate": utc_text(contact.updated_at),
        "property_hubspot_owner_id": world.owners.get(contact.contact_id, ""),
        "property_hs_lifecyclestage_marketingqualifiedlead_date":
            utc_text(world.hand_raised_at.get(contact.contact_id)),
        "_fivetran_deleted": "true" if contact.is_deleted else "false",
        "_fivetran_synced": contact.loaded_at,
    } for contact in world.contacts.values()]
    _write(out_dir / "contact.csv", list(contacts[0]) if contacts else ["id"], contacts)
    _write(out_dir / "email_event.csv", ["id", "type", "recipient", "created",
                                         "email_campaign_id", "_fivetran_synced"],
           _email_rows(world))
    forms = [{"conversion_id": event.event_id, "contact_id": event.contact_id,
              "form_id": form_id(event.event_type), "page_url": event.page_url,
              "timestamp": utc_text(event.occurred_at), "_fivetran_synced": event.loaded_at}
             for event in world.events if event.event_type in FORM_TYPES]
    _write(out_dir / "contact_form_submission.csv",
           ["conversion_id", "contact_id", "form_id", "page_url", "timestamp",
            "_fivetran_synced"], forms)
    _write(out_dir / "contact_property_history.csv",
           ["contact_id", "name", "value", "timestamp", "source", "_fivetran_synced"],
           _lead_statuses(world))
    stages = {stage: f"stage-{number}" for number, stage in enumerate(sorted(
        {(deal.stage_name, deal.is_closed, deal.is_won) for deal in world.opportunities}))}
    _write(out_dir / "deal_pipeline_stage.csv",
           ["stage_id", "pipeline_id", "label", "is_closed", "closed_won", "display_order",
            "_fivetran_deleted", "_fivetran_synced"],
           [{"stage_id": stage_id, "pipeline_id": "default", "label": label,
             "is_closed": str(closed).lower(), "closed_won": str(won).lower(),
             "display_order": stage_id.split("-")[1], "_fivetran_deleted": "false",
             "_fivetran_synced": "2020-01-01 00:00:00"}
            for (label, closed, won), stage_id in stages.items()])
    _write(out_dir / "deal.csv",
           ["deal_id", "deal_pipeline_id", "deal_pipeline_stage_id", "property_amount",
            "property_createdate", "property_closedate", "property_hs_lastmodifieddate",
            "is_deleted", "_fivetran_deleted", "_fivetran_synced"],
           [{"deal_id": deal.opportunity_id, "deal_pipeline_id": "default",
             "deal_pipeline_stage_id": stages[(deal.stage_name, deal.is_closed, deal.is_won)],
             "property_amount": deal.amount, "property_createdate": utc_text(deal.created_at),
             "property_closedate": utc_text(deal.closed_at),
             "property_hs_lastmodifieddate": utc_text(deal.updated_at), "is_deleted": "false",
             "_fivetran_deleted": "false", "_fivetran_synced": deal.loaded_at}
            for deal in world.opportunities])
    _write(out_dir / "deal_contact.csv",
           ["deal_id", "contact_id", "type_id", "category", "_fivetran_synced"],
           [{"deal_id": deal_id, "contact_id": contact_id, "type_id": "3",
             "category": "HUBSPOT_DEFINED", "_fivetran_synced": "2020-01-01 00:00:00"}
            for deal_id, contact_id in world.deal_contacts()])


def restrict_hubspot(raw_dir: Path, out_dir: Path) -> None:
    """Write the raw-contract rendition of the world of ``raw_dir`` with only what the HubSpot
    adapter can express (see the module docstring) in ``out_dir``."""
    world = load_world(raw_dir)
    contacts = [{
        "contact_id": contact.contact_id, "email": contact.email, "job_title": contact.job_title,
        "company_name": contact.company_name, "industry": contact.industry,
        "country_code": contact.country_code,
        "lead_source": funnel_source(HUBSPOT_SOURCES.get(contact.lead_source, "")),
        "employee_count": "", "created_at": utc_text(contact.created_at),
        "updated_at": utc_text(contact.updated_at),
        "is_deleted": "true" if contact.is_deleted else "false", "_loaded_at": contact.loaded_at,
    } for contact in world.contacts.values()]
    _write(out_dir / "contacts.csv", TABLE_COLUMNS["contacts"], contacts)
    forms = form_event_types(CONNECTOR)
    recipients = world.first_contact_by_email()
    events = []
    for event in world.events:
        if event.event_type in EMAIL_TYPES:
            contact = world.contacts.get(event.contact_id)
            recipient = recipients.get(normalised(contact.email)) if contact is not None else None
            if recipient is None:
                continue  # no contact has the address: quarantined through the adapter
            row = {"contact_id": recipient, "event_type": event.event_type, "page_url": "",
                   "campaign_id": event.campaign_id}
        elif event.event_type in FORM_TYPES:
            row = {"contact_id": event.contact_id,
                   "event_type": forms.get(form_id(event.event_type), "form_submission"),
                   "page_url": event.page_url, "campaign_id": ""}
        else:
            continue  # page views, webinar attendance, product usage...: not in these tables
        events.append(dict(row, event_id=event.event_id, occurred_at=utc_text(event.occurred_at),
                           _loaded_at=event.loaded_at))
    _write(out_dir / "engagement_events.csv", TABLE_COLUMNS["engagement_events"], events)
    activities = status_activities(CONNECTOR, "hs_lead_status", _lead_statuses(world),
                                   world.owners)
    _write(out_dir / "sales_activities.csv", TABLE_COLUMNS["sales_activities"], activities)
    primary = dict(world.primary_contacts())
    _write(out_dir / "opportunities.csv", TABLE_COLUMNS["opportunities"], [{
        "opportunity_id": deal.opportunity_id, "contact_id": primary.get(deal.opportunity_id, ""),
        "created_at": utc_text(deal.created_at), "closed_at": utc_text(deal.closed_at),
        "updated_at": utc_text(deal.updated_at), "_loaded_at": deal.loaded_at,
        "stage_name": deal.stage_name, "amount": deal.amount,
        "is_closed": str(deal.is_closed).lower(), "is_won": str(deal.is_won).lower(),
    } for deal in world.opportunities])


__all__ = ["write_hubspot", "restrict_hubspot", "form_id", "funnel_source", "parse_flag"]
