"""Draining SES's events (relance.email.events) into the database, and telling the runs concerned: a
hard bounce or a complaint about a reminder goes on its run's timeline (the next reminder goes to the
next address of the recipient chain, relance.dunning.rules.pick_recipient)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from temporalio import activity

from models import DunningRun, EmailLedgerEntry, RunEvent
from relance.db import Database
from relance.email import events
from relance.email.mailer import SesMailer

log = structlog.get_logger("relance.email")

_TIMELINE = insert(RunEvent.__table__).values({name: bindparam(name) for name in (
    "workflow_id", "step_position", "kind", "outcome", "reason", "recipient", "provider_message_id", "idem_key",
    "occurred_at")}).on_conflict_do_nothing()


@dataclass
class DrainInput:
    now: datetime


@dataclass
class DrainResult:
    recorded: int = 0
    suppressed: int = 0


class EmailEventActivities:
    def __init__(self, db: Database, mailer: SesMailer):
        self.db = db
        self.mailer = mailer

    @activity.defn
    async def drain_ses_events(self, inp: DrainInput) -> DrainResult:
        new = await self.mailer.events.drain(self.db)
        condemned = [event for event in new if events.suppression_reason(event) is not None]
        if condemned:
            async with self.db.autocommit() as session:
                for event in condemned:
                    await _on_timeline(session, event)
        meter = activity.metric_meter()
        for event in new:
            meter.create_counter("relance_ses_events", "SES events recorded, by kind").add(1, {"kind": event.kind})
        if new:
            log.info("SES events recorded", count=len(new), suppressed=len(condemned))
        return DrainResult(len(new), len(condemned))


async def _on_timeline(session, event: events.SesEvent) -> None:
    """The run whose reminder bounced or was complained about says so (once per message and address)."""
    found = (await session.exec(select(EmailLedgerEntry.workflow_id, EmailLedgerEntry.idem_key).join(
        DunningRun, DunningRun.workflow_id == EmailLedgerEntry.workflow_id).where(
        EmailLedgerEntry.send_tag == event.send_tag))).first()
    if found is None:
        return
    workflow_id, key = found
    step = key.rsplit(":", 2)[-2]
    await session.exec(_TIMELINE, params={
        "workflow_id": workflow_id, "step_position": int(step) if step.isdigit() else None,
        "kind": "delivery", "outcome": events.suppression_reason(event), "recipient": event.recipient,
        "reason": f"{event.detail}; the next reminders go to the next address of the recipient chain"[:500],
        "provider_message_id": event.provider_message_id, "idem_key": f"{key}:{event.kind}:{event.recipient}",
        "occurred_at": event.occurred_at})
