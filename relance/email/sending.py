"""The one place that hands an email to the provider (SesMailer.send), through the send-once ledger:
claimed -> sent -> confirmed, at most once per key, even when an activity is retried or a worker dies
mid-send; the provider's message id is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from relance.db import Database
from relance.email import ledger
from relance.email.mailer import OutgoingEmail, SenderNotVerified, SesMailer


class SendStatus(StrEnum):
    SENT = "sent"
    NOT_SENT = "not_sent"  # an earlier attempt recorded why nothing was to be sent
    UNCERTAIN = "uncertain"  # an earlier attempt died between the provider and the row: never resent
    SENDER_REFUSED = "sender_not_verified"  # the provider refused the sender; the claim is released


@dataclass
class SendResult:
    status: SendStatus
    message_id: str | None = None
    recipient: str | None = None
    reason: str | None = None
    fresh: bool = True  # False: the outcome of an earlier attempt, nothing was sent now


async def send_once(db: Database, mailer: SesMailer, key: str, email: OutgoingEmail, source: ledger.Source,
                    now: datetime, *, confirm=ledger.CONFIRM, confirm_params: dict | None = None) -> SendResult:
    """Claim the key, send, confirm. A key claimed already sends nothing and answers the earlier outcome.
    A refused sender releases the claim and answers SENDER_REFUSED (the domain blocks and retries later);
    any other failure releases it and raises, so the activity's retry sends. `confirm` (from
    ledger.confirm_with) writes the domain's own rows with the confirmation, from `confirm_params`."""
    async with db.autocommit() as session:
        claim = await ledger.claim(session, key, source, now, recipient=email.to, sender=email.sender_address,
                                   subject=email.subject)
    if not claim.fresh:
        return SendResult(SendStatus(claim.state), claim.provider_message_id, claim.recipient, claim.reason,
                          fresh=False)
    try:
        message_id = await mailer.send(email)
    except SenderNotVerified:
        async with db.autocommit() as session:
            await ledger.release(session, key)
        return SendResult(SendStatus.SENDER_REFUSED, reason=SendStatus.SENDER_REFUSED.value)
    except Exception:
        # The provider did not take it (a cancellation, which may come after it did, keeps the claim).
        async with db.autocommit() as session:
            await ledger.release(session, key)
        raise
    async with db.autocommit() as session:
        await ledger.confirm(session, key, message_id, now, confirm, confirm_params)
    return SendResult(SendStatus.SENT, message_id, email.to)
