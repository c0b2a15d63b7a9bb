"""The one place that hands an email to the provider (SesMailer.send), through the send-once ledger:
claimed -> sent -> confirmed, at most once per key, even when an activity is retried or a worker dies
mid-send; the provider's message id is kept. A send left uncertain (a worker died between the claim and
SES's answer) is settled after the reconciliation window by SES's own record of it (relance.email.events):
confirmed, or sent again when SES never had it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.exceptions import ApplicationError

from models import EmailEventKind, EmailState
from relance.db import Database
from relance.email import events, ledger
from relance.email.mailer import OutgoingEmail, Rejected, SenderNotVerified, SesMailer
from relance.temporal.heartbeat import heartbeating


class SendStatus(StrEnum):
    SENT = "sent"
    NOT_SENT = "not_sent"  # nothing was to be sent, or SES refused it for good (reason says why)
    UNCERTAIN = "uncertain"  # an attempt died between the claim and SES's answer: settled later (resolve)
    SENDER_REFUSED = "sender_not_verified"  # the provider refused the sender; the claim is released


class Resolution(StrEnum):
    """How an uncertain send was settled (the ledger row's reason, the timeline's, a metric label)."""

    CONFIRMED = "confirmed_by_ses_event"  # SES's Send/Delivery/Bounce/Complaint event names it
    RESENT = "resent_after_window"  # no event within the window: SES never had it, sent now
    REJECTED = "rejected_by_ses"  # SES's Reject event


@dataclass
class SendResult:
    status: SendStatus
    message_id: str | None = None
    recipient: str | None = None
    reason: str | None = None
    fresh: bool = True  # False: nothing was sent now (an earlier attempt's outcome, or a refusal)
    resolution: Resolution | None = None


@asynccontextmanager
async def _ledger(db: Database) -> AsyncIterator[AsyncSession]:
    """A session for the ledger's statements. Waiting for one of the worker's connections (more sends
    run at once than its pool holds) is a wait, not a death: it heartbeats, or a burst left sends
    uncertain for the reconciliation window (bench.run, two workers, N=1,000)."""
    async with heartbeating(), db.autocommit() as session:
        yield session


async def send_once(db: Database, mailer: SesMailer, key: str, email: OutgoingEmail, source: ledger.Source,
                    now: datetime, *, confirm=ledger.CONFIRM, confirm_params: dict | None = None,
                    resolve: bool = False) -> SendResult:
    """Claim the key, send, confirm. A key claimed already sends nothing and answers the earlier outcome;
    with `resolve` (the reconciliation window has passed), an uncertain one is settled first (resolve).
    A refused sender releases the claim and answers SENDER_REFUSED (the domain blocks and retries later);
    a permanent rejection settles it not_sent with SES's reason; any other failure releases it and
    raises, so the activity's retry sends. `confirm` (from ledger.confirm_with) writes the domain's own
    rows with the confirmation, from `confirm_params`."""
    async with _ledger(db) as session:
        claim = await ledger.claim(session, key, source, now, recipient=email.to, sender=email.sender_address,
                                   subject=email.subject)
        held = claim.fresh and await ledger.holds(session, key, 1)
    if not claim.fresh:
        if resolve and claim.state == EmailState.UNCERTAIN:
            return await _resolve(db, mailer, key, email, now, confirm, confirm_params)
        return SendResult(SendStatus(claim.state), claim.provider_message_id, claim.recipient, claim.reason,
                          fresh=False)
    return await _send(db, mailer, key, email, now, confirm, confirm_params) if held else _taken_over(email)


def _taken_over(email: OutgoingEmail) -> SendResult:
    """A retry took over from this stalled attempt (it found the claim and marked it uncertain)."""
    return SendResult(SendStatus.UNCERTAIN, None, email.to, ledger.DELIVERY_UNCERTAIN, fresh=False)


async def _send(db: Database, mailer: SesMailer, key: str, email: OutgoingEmail, now: datetime, confirm,
                confirm_params: dict | None, resolution: Resolution | None = None) -> SendResult:
    """Send under a claim this attempt holds: checked (ledger.holds) on the connection that took the claim,
    so no wait for another connection comes between the check and the send (one checkout fewer per
    send, bench/). The window of uncertainty is from the claim's commit to the confirmation's: an
    attempt that dies in it leaves the row claimed."""
    try:
        message_id = await mailer.send(email, ledger.send_tag(key))
    except SenderNotVerified:
        async with _ledger(db) as session:
            await ledger.release(session, key)
        return SendResult(SendStatus.SENDER_REFUSED, reason=SendStatus.SENDER_REFUSED.value)
    except Rejected as exc:
        reason = f"rejected by SES: {exc}"[:500]
        async with _ledger(db) as session:
            await ledger.refused(session, key, reason, now)
        return SendResult(SendStatus.NOT_SENT, recipient=email.to, reason=reason, fresh=False)
    except Exception:
        # The provider did not take it (a cancellation, which may come after it did, keeps the claim).
        async with _ledger(db) as session:
            await ledger.release(session, key)
        raise
    async with _ledger(db) as session:
        await ledger.confirm(session, key, message_id, now, confirm, confirm_params, resolution)
    return SendResult(SendStatus.SENT, message_id, email.to, resolution=resolution)


async def _resolve(db: Database, mailer: SesMailer, key: str, email: OutgoingEmail, now: datetime, confirm,
                   confirm_params: dict | None) -> SendResult:
    """SES has no idempotency key: its own record says whether it took the message. The queue is
    drained first (and messages in another drainer's hands awaited), so an event published by now is
    seen; an accepting event confirms the send, a Reject event settles it not_sent, no event at all
    means SES never had it, and it is sent again."""
    async with heartbeating():  # another drainer's messages are awaited
        settled = await mailer.events.settle(db)
    if not settled:
        # Events still being recorded by another drainer: decide nothing now, the step is retried.
        raise ApplicationError("SES events still in flight: the uncertain send is settled on the next try",
                               type="EventsInFlight")
    async with _ledger(db) as session:
        seen = await events.about(session, ledger.send_tag(key))
        accepted = next((e for e in seen if e.kind in events.ACCEPTED), None)
        if accepted is not None:
            await ledger.confirm(session, key, accepted.provider_message_id, now, confirm, confirm_params,
                                 Resolution.CONFIRMED)
            return SendResult(SendStatus.SENT, accepted.provider_message_id, email.to,
                              resolution=Resolution.CONFIRMED)
        rejected = next((e for e in seen if e.kind == EmailEventKind.REJECT), None)
        if rejected is not None:
            reason = f"{Resolution.REJECTED}: {rejected.detail}"[:500]
            await ledger.refused(session, key, reason, now)
            return SendResult(SendStatus.NOT_SENT, rejected.provider_message_id, email.to, reason, fresh=False,
                              resolution=Resolution.REJECTED)
        attempts = await ledger.reclaim(session, key)
        if attempts is None or not await ledger.holds(session, key, attempts):  # another attempt is settling it
            return _taken_over(email)
    return await _send(db, mailer, key, email, now, confirm, confirm_params, Resolution.RESENT)
