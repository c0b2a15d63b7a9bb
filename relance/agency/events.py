"""What the agency's outbox tells the host (webhooks): a draft created, sent, withdrawn, expired. Each event
is keyed by the draft and what happened to it, so a retried activity publishes it once. No body is sent."""

from __future__ import annotations

from datetime import datetime

from relance.agency.drafting import Made
from relance.webhooks import events
from relance.webhooks.publishing import Event


def _data(org_slug: str, agency_slug: str, made: Made) -> dict:
    return {"organisation": org_slug, "agency": agency_slug, "draft_id": made.draft_id, "kind": made.kind,
            "booking": made.booking_ref, "due_on": made.due_on.isoformat()}


def created(org_id: int, org_slug: str, agency_slug: str, made: Made, now: datetime) -> Event:
    return Event(org_id, org_slug, events.DRAFT_CREATED, f"draft.created:{made.draft_id}",
                 _data(org_slug, agency_slug, made), now)


def withdrawn(org_id: int, org_slug: str, agency_slug: str, made: Made, reason: str, now: datetime) -> Event:
    return Event(org_id, org_slug, events.DRAFT_WITHDRAWN, f"draft.withdrawn:{made.draft_id}",
                 {**_data(org_slug, agency_slug, made), "reason": reason}, now)


def expired(org_id: int, org_slug: str, agency_slug: str, made: Made, now: datetime) -> Event:
    return Event(org_id, org_slug, events.DRAFT_EXPIRED, f"draft.expired:{made.draft_id}",
                 _data(org_slug, agency_slug, made), now)


def sent(org_id: int, org_slug: str, agency_slug: str, made: Made, recipient: str, message_id: str, by: str,
         now: datetime) -> Event:
    return Event(org_id, org_slug, events.DRAFT_SENT, f"draft.sent:{made.draft_id}",
                 {**_data(org_slug, agency_slug, made), "recipient": recipient, "message_id": message_id,
                  "sent_by": by}, now)
