"""The send-once ledger (models/email.py): claim -> send -> confirm, in the database only.

Every write is one prebuilt statement with bound parameters ("l_" names), run in the caller's session
(the activities use autocommit sessions: one round trip a step). A domain that records more when an
email is confirmed (its timeline, its run's state) adds its statements to the confirmation with
`confirm_with`, so they are one statement: the ledger and the domain's rows never disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel.ext.asyncio.session import AsyncSession

from models import About, EmailLedgerEntry, EmailState

DELIVERY_UNCERTAIN = "delivery_uncertain"

# A domain statement added to the confirmation reads the provider's message id, and how an uncertain
# send was settled (None for an ordinary send), through these parameters.
MESSAGE_ID = bindparam("l_message_id")
RESOLUTION = bindparam("l_resolution")

# On the table, not the ORM class: an ORM-enabled INSERT/UPDATE/DELETE takes the session's bulk path,
# which compiles an evaluator of the WHERE clause on every call (py-spy, bench/).
_TABLE = EmailLedgerEntry.__table__
_L = _TABLE.c
_KEY = bindparam("l_idem_key")
_NOW = bindparam("l_now")
_COLUMNS = ("idem_key", "org_id", "workflow_id", "about_kind", "about_ref", "state", "reason", "recipient", "sender",
            "subject", "claimed_at", "send_tag")
_ANSWER = (_L.state, _L.reason, _L.recipient, _L.provider_message_id)
_INSERTED = (insert(_TABLE).values({name: bindparam(f"l_{name}") for name in _COLUMNS}).on_conflict_do_nothing()
             .returning(*_ANSWER, literal(True).label("fresh")).cte("inserted"))
# The new row, or the one an earlier attempt wrote: one round trip either way.
_CLAIM = select(_INSERTED).union_all(
    select(*_ANSWER, literal(False).label("fresh")).where(_L.idem_key == _KEY, ~exists(select(_INSERTED.c.state))))
_PRIOR = select(*_ANSWER, literal(False).label("fresh")).where(_L.idem_key == _KEY)
_UNCERTAIN = update(_TABLE).where(_L.idem_key == _KEY, _L.state == EmailState.CLAIMED).values(
    state=EmailState.UNCERTAIN, reason=DELIVERY_UNCERTAIN, settled_at=_NOW)
# Sent: also over an 'uncertain' mark a concurrent attempt may have made while this one was sending.
CONFIRM = update(_TABLE).where(_L.idem_key == _KEY, _L.state.in_((EmailState.CLAIMED, EmailState.UNCERTAIN))).values(
    state=EmailState.SENT, reason=RESOLUTION, provider_message_id=MESSAGE_ID, settled_at=_NOW)
_RELEASE = delete(_TABLE).where(_L.idem_key == _KEY, _L.state == EmailState.CLAIMED)
# An uncertain send no event confirmed: claimed again, by one attempt only.
_RECLAIM = update(_TABLE).where(_L.idem_key == _KEY, _L.state == EmailState.UNCERTAIN).values(
    state=EmailState.CLAIMED, reason=None, settled_at=None, attempts=_L.attempts + 1).returning(_L.attempts)
_HOLDS = select(_L.idem_key).where(_L.idem_key == _KEY, _L.state == EmailState.CLAIMED,
                                  _L.attempts == bindparam("l_attempts"))
_REFUSED = update(_TABLE).where(_L.idem_key == _KEY, _L.state.in_((EmailState.CLAIMED, EmailState.UNCERTAIN))).values(
    state=EmailState.NOT_SENT, reason=bindparam("l_reason"), settled_at=_NOW)


# The message tag SES's events carry back (X-SES-MESSAGE-TAGS); its value is send_tag(key).
SEND_TAG = "relance-send"


def send_tag(key: str) -> str:
    """The message tag an email goes out with (SES allows letters, digits, '_' and '-' only): its key's
    hash, so SES's events about it find its ledger row."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Source:
    """Who makes the email: the organisation, the workflow, and what the email is about."""

    org_id: int
    workflow_id: str
    about: About


@dataclass
class Claim:
    """fresh: this call took the key and may send. Else the row an earlier attempt left, as it is now
    (a claim it left unsettled has just become uncertain)."""

    fresh: bool
    state: str
    reason: str | None = None
    recipient: str | None = None
    provider_message_id: str | None = None


def confirm_with(*statements: UpdateBase):
    """CONFIRM with the domain's own writes in the same statement (their parameters are the caller's)."""
    confirm = CONFIRM
    for number, statement in enumerate(statements):
        confirm = confirm.add_cte(statement.cte(f"also_{number}"))
    return confirm


async def claim(session: AsyncSession, key: str, source: Source, now: datetime, *, recipient: str | None = None,
                sender: str | None = None, subject: str | None = None) -> Claim:
    """Take the key before the provider is called."""
    return await _take(session, key, source, now, EmailState.CLAIMED, None, recipient, sender, subject)


async def record_not_sent(session: AsyncSession, key: str, source: Source, reason: str, now: datetime, *,
                          recipient: str | None = None, sender: str | None = None,
                          subject: str | None = None) -> Claim:
    """Take the key with nothing to send (no recipient, a template that fails): a retry finds it settled."""
    return await _take(session, key, source, now, EmailState.NOT_SENT, reason, recipient, sender, subject)


async def confirm(session: AsyncSession, key: str, message_id: str, now: datetime, statement=CONFIRM,
                  params: dict | None = None, resolution: str | None = None) -> None:
    """The provider took the message: keep its id. `statement` is CONFIRM or one made by confirm_with;
    `resolution` says how an uncertain send was settled (kept as the row's reason)."""
    await session.exec(statement, params={**(params or {}), "l_idem_key": key, "l_message_id": message_id,
                                          "l_now": now, "l_resolution": resolution})


async def reclaim(session: AsyncSession, key: str) -> int | None:
    """Take an uncertain key again to send it once more: its attempt number, None when another attempt
    took it first."""
    row = (await session.exec(_RECLAIM, params={"l_idem_key": key})).first()
    return row.attempts if row else None


async def holds(session: AsyncSession, key: str, attempts: int) -> bool:
    """Whether the claim of this attempt is still its own, before the provider is called. An
    attempt Temporal gave up on (a heartbeat timeout on a stalled worker) may still be running: once
    its retry found the claim and marked it uncertain, this attempt must not send."""
    return (await session.exec(_HOLDS, params={"l_idem_key": key, "l_attempts": attempts})).first() is not None


async def refused(session: AsyncSession, key: str, reason: str, now: datetime) -> None:
    """SES refused the message for good (or rejected it after taking it): settled not_sent, with why."""
    await session.exec(_REFUSED, params={"l_idem_key": key, "l_reason": reason, "l_now": now})


async def release(session: AsyncSession, key: str) -> None:
    """The provider refused the message: delete the claim so a retry sends."""
    await session.exec(_RELEASE, params={"l_idem_key": key})


async def _take(session: AsyncSession, key: str, source: Source, now: datetime, state: str, reason: str | None,
                recipient: str | None, sender: str | None, subject: str | None) -> Claim:
    params = {"l_idem_key": key, "l_org_id": source.org_id, "l_workflow_id": source.workflow_id,
              "l_about_kind": source.about.kind, "l_about_ref": source.about.ref, "l_state": state,
              "l_reason": reason, "l_recipient": recipient, "l_sender": sender, "l_subject": subject,
              "l_claimed_at": now, "l_send_tag": send_tag(key)}
    row = (await session.exec(_CLAIM, params=params)).first()
    if row is None:  # taken by an attempt that committed after this statement's snapshot
        row = (await session.exec(_PRIOR, params={"l_idem_key": key})).one()
    found = Claim(row.fresh, row.state, row.reason, row.recipient, row.provider_message_id)
    if not found.fresh and found.state == EmailState.CLAIMED:
        # The attempt that claimed it died between the provider and the row: the provider may have the
        # message, so it is never sent again.
        await session.exec(_UNCERTAIN, params={"l_idem_key": key, "l_now": now})
        found.state, found.reason = EmailState.UNCERTAIN, DELIVERY_UNCERTAIN
    return found
