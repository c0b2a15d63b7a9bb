"""SES's own record of what became of each email: the events its configuration set publishes (Send,
Delivery, Bounce, Complaint, Reject), through an SNS topic into the SQS queue relance polls.

Why SQS and not SNS HTTP notifications: the queue keeps events while relance is down or deploying
(14 days), needs no public HTTPS endpoint nor signature checks, and a message is deleted only once its
event is in the database, so none is lost; the local stack serves the same queue (moto).

Recording an event is idempotent (one row per message, kind and recipient): SQS may deliver twice.
A permanent bounce or a complaint puts the address on the suppression list.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime

import boto3
import structlog
from botocore.exceptions import ClientError
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from models import EmailEvent, EmailEventKind, Suppression, SuppressionReason
from relance.config import Settings
from relance.db import Database
from relance.email.ledger import SEND_TAG

log = structlog.get_logger("relance.email")
MISSING_QUEUE = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}

_EVENTS = EmailEvent.__table__
_RECORD = insert(_EVENTS).values({name: bindparam(name) for name in (
    "send_tag", "provider_message_id", "kind", "recipient", "detail", "occurred_at")}).on_conflict_do_nothing(
    constraint="uq_emailevent_once").returning(_EVENTS.c.id)
_SUPPRESS = insert(Suppression.__table__).values(
    address=bindparam("address"), reason=bindparam("reason"), detail=bindparam("detail"), since=bindparam("since"),
).on_conflict_do_nothing()
# Events that prove SES took the message.
ACCEPTED = (EmailEventKind.SEND, EmailEventKind.DELIVERY, EmailEventKind.BOUNCE, EmailEventKind.COMPLAINT)


@dataclass(frozen=True)
class SesEvent:
    kind: str
    provider_message_id: str
    send_tag: str | None
    occurred_at: datetime
    recipient: str = ""
    detail: str | None = None
    permanent: bool = False  # a hard bounce (bounceType Permanent)


def parse(body: str) -> list[SesEvent]:
    """One SQS message: an SNS notification wrapping SES's event JSON (or the raw event, with SNS raw
    message delivery). One SesEvent per recipient a bounce or complaint names."""
    document = json.loads(body)
    if document.get("Type") == "Notification":
        document = json.loads(document["Message"])
    kind, mail = document.get("eventType") or document.get("notificationType"), document["mail"]
    tag = (mail.get("tags", {}).get(SEND_TAG) or [None])[0]
    common = dict(kind=kind, provider_message_id=mail["messageId"], send_tag=tag,
                  occurred_at=datetime.fromisoformat(mail["timestamp"].replace("Z", "+00:00")))
    if kind == EmailEventKind.BOUNCE:
        bounce = document["bounce"]
        permanent = bounce.get("bounceType") == "Permanent"
        return [SesEvent(**common, recipient=r["emailAddress"].lower(), permanent=permanent,
                         detail=f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}: "
                                f"{r.get('diagnosticCode', '')}"[:500]) for r in bounce["bouncedRecipients"]]
    if kind == EmailEventKind.COMPLAINT:
        complaint = document["complaint"]
        return [SesEvent(**common, recipient=r["emailAddress"].lower(), detail=complaint.get("complaintFeedbackType"))
                for r in complaint["complainedRecipients"]]
    if kind == EmailEventKind.REJECT:
        return [SesEvent(**common, detail=document.get("reject", {}).get("reason"))]
    return [SesEvent(**common)]


async def record(session: AsyncSession, events: list[SesEvent]) -> list[SesEvent]:
    """Keep the events (each once) and suppress the addresses they condemn; returns those new here."""
    new = []
    for event in events:
        inserted = (await session.exec(_RECORD, params={
            "send_tag": event.send_tag, "provider_message_id": event.provider_message_id, "kind": event.kind,
            "recipient": event.recipient, "detail": event.detail, "occurred_at": event.occurred_at})).first()
        if inserted is None:
            continue
        new.append(event)
        reason = suppression_reason(event)
        if reason is not None:
            await session.exec(_SUPPRESS, params={"address": event.recipient, "reason": reason,
                                                  "detail": event.detail, "since": event.occurred_at})
            log.info("address suppressed", reason=reason, message_id=event.provider_message_id)
    return new


def suppression_reason(event: SesEvent) -> str | None:
    if event.kind == EmailEventKind.BOUNCE and event.permanent:
        return SuppressionReason.HARD_BOUNCE
    if event.kind == EmailEventKind.COMPLAINT:
        return SuppressionReason.COMPLAINT
    return None


async def about(session: AsyncSession, tag: str) -> list[EmailEvent]:
    """The events recorded for the email sent with this tag, oldest first."""
    rows = await session.exec(select(EmailEvent).where(EmailEvent.send_tag == tag).order_by(EmailEvent.id))
    return list(rows.all())


class EventQueue:
    """The SQS queue the configuration set's SNS topic delivers to."""

    BATCH = 10  # SQS's maximum per receive

    def __init__(self, settings: Settings):
        self.url = settings.events_queue_url
        kwargs: dict = {"region_name": settings.aws_region}
        if settings.ses_endpoint:
            kwargs.update(endpoint_url=settings.ses_endpoint, aws_access_key_id="local", aws_secret_access_key="local")
        self._client = boto3.client("sqs", **kwargs) if self.url else None
        self._running: asyncio.Future | None = None
        self.missing = False  # the last drain found no queue at the URL

    async def settle(self, db: Database, wait_seconds: float = 60.0) -> bool:
        """Drain, then wait until no message is in another drainer's hands (received, not yet recorded
        and deleted). True: every event SES had published is in the database; False: some were still
        in flight after `wait_seconds`, or the queue is missing (the caller decides nothing then)."""
        deadline = time.monotonic() + wait_seconds
        await self.drain(db)
        if self.missing:
            return False
        while self._client is not None and await self._in_flight():
            if time.monotonic() > deadline:
                return False
            _heartbeat()
            await asyncio.sleep(1)
            await self.drain(db)
        return True

    async def _in_flight(self) -> int:
        answer = await asyncio.to_thread(self._client.get_queue_attributes, QueueUrl=self.url,
                                         AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
        return int(answer["Attributes"].get("ApproximateNumberOfMessagesNotVisible", 0))

    async def drain(self, db: Database, limit: int = 5000) -> list[SesEvent]:
        """Record what the queue holds (up to `limit` messages), deleting each message once recorded;
        returns the events new to the database. One drain at a time per process: a caller that comes
        while one runs waits for it (heartbeating), so many settling steps do not fight over the
        queue (make chaos: 64 drainers at once kept messages in flight for each other)."""
        if self._client is None:
            return []
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._drain(db, limit))
        running = self._running
        while not running.done():
            _heartbeat()  # a long backlog is progress, not a stalled step
            await asyncio.wait({running}, timeout=2)
        return running.result()

    async def _drain(self, db: Database, limit: int) -> list[SesEvent]:
        """A message that cannot be read is left for the queue's redrive policy (dead-letter queue)."""
        new: list[SesEvent] = []
        self.missing = False
        for _ in range(0, limit, self.BATCH):
            try:
                answer = await asyncio.to_thread(self._client.receive_message, QueueUrl=self.url,
                                                 MaxNumberOfMessages=self.BATCH, WaitTimeSeconds=0)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in MISSING_QUEUE:
                    raise
                # An endpoint without the events path (docker-compose's plain moto): nothing can tell
                # what SES took, so uncertain sends stay uncertain (README, "Reliability"). Asked again at
                # the next drain: a queue made later is found (turning it off for good made a later
                # settle answer "all seen", and resend what SES had taken).
                log.warning("SES events queue missing: uncertain sends cannot be settled", queue=self.url)
                self.missing = True
                break
            messages = answer.get("Messages", [])
            if not messages:
                break
            done = []
            for message in messages:
                try:
                    events = parse(message["Body"])
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("SES event unreadable, left on the queue", error=str(exc)[:200])
                    continue
                async with db.autocommit() as session:
                    new += await record(session, events)
                done.append({"Id": message["MessageId"], "ReceiptHandle": message["ReceiptHandle"]})
            if done:
                await asyncio.to_thread(self._client.delete_message_batch, QueueUrl=self.url, Entries=done)
        return new


def _heartbeat() -> None:
    if activity.in_activity():
        activity.heartbeat()
