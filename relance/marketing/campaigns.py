"""Email campaigns' reads and writes: a campaign by key, its audience frozen at launch, each
recipient's record, and its counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, CampaignRecipient, Contact, EmailCampaign, Organisation
from relance.marketing.repository import NotFound

_RECIPIENTS = CampaignRecipient.__table__


async def campaign(session: AsyncSession, org: Organisation, key: str) -> EmailCampaign:
    found = (await session.exec(select(EmailCampaign).where(EmailCampaign.org_id == org.id,
                                                            EmailCampaign.key == key))).first()
    if found is None:
        raise NotFound(f"campaign {key!r} of organisation {org.slug!r} not found")
    return found


async def freeze_audience(session: AsyncSession, c: EmailCampaign) -> list[int]:
    """The recipients as they are at launch, each with a pending record (a retried launch adds none)."""
    query = select(Contact.id).where(Contact.org_id == c.org_id, col(Contact.deleted_at).is_(None))
    if c.audience_tag is not None:
        query = query.where(col(Contact.tags).contains([c.audience_tag]))
    elif c.audience_account_id is not None:
        query = query.where(Contact.account_id == c.audience_account_id)
    else:
        query = query.where(Contact.id == c.audience_contact_id)
    ids = list((await session.exec(query.order_by(Contact.id))).all())
    if ids:
        await session.exec(insert(_RECIPIENTS).values([{"campaign_id": c.id, "contact_id": i, "state": "pending"}
                                                       for i in ids]).on_conflict_do_nothing())
    return ids


async def retry_failed(session: AsyncSession, c: EmailCampaign, contact_refs: list[str]) -> list[int]:
    """The failed recipients among `contact_refs`, pending again (the ledger still sends each once)."""
    ids = list((await session.exec(select(CampaignRecipient.contact_id).join(
        Contact, Contact.id == CampaignRecipient.contact_id).where(
        CampaignRecipient.campaign_id == c.id, CampaignRecipient.state == "failed",
        col(Contact.ref).in_(contact_refs)).order_by(CampaignRecipient.contact_id))).all())
    if ids:
        await session.exec(update(_RECIPIENTS).where(
            _RECIPIENTS.c.campaign_id == c.id, _RECIPIENTS.c.contact_id.in_(ids)).values(state="pending", reason=None))
    return ids


async def pending_after(session: AsyncSession, campaign_id: int, after_contact_id: int, limit: int) -> list[int]:
    """The next page of recipients still pending, in contact id order (the order the audience was frozen in)."""
    return list((await session.exec(select(CampaignRecipient.contact_id).where(
        CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.state == "pending",
        CampaignRecipient.contact_id > after_contact_id).order_by(CampaignRecipient.contact_id).limit(limit))).all())


async def settle(session: AsyncSession, campaign_id: int, contact_id: int, now: datetime, state: str,
                 reason: str | None = None, recipient: str | None = None, message_id: str | None = None) -> None:
    await session.exec(update(_RECIPIENTS).where(
        _RECIPIENTS.c.campaign_id == campaign_id, _RECIPIENTS.c.contact_id == contact_id).values(
        state=state, reason=reason, recipient=recipient, provider_message_id=message_id, settled_at=now))


async def cancel_pending(session: AsyncSession, campaign_id: int, now: datetime) -> None:
    await session.exec(update(_RECIPIENTS).where(
        _RECIPIENTS.c.campaign_id == campaign_id, _RECIPIENTS.c.state == "pending").values(
        state="cancelled", settled_at=now))


async def counts(session: AsyncSession, campaign_id: int) -> dict[str, int]:
    rows = (await session.exec(select(CampaignRecipient.state, func.count()).where(
        CampaignRecipient.campaign_id == campaign_id).group_by(CampaignRecipient.state))).all()
    return dict(rows)


async def recipients(session: AsyncSession, campaign_id: int) -> list[tuple[CampaignRecipient, str]]:
    return list((await session.exec(select(CampaignRecipient, Contact.ref).join(
        Contact, Contact.id == CampaignRecipient.contact_id).where(CampaignRecipient.campaign_id == campaign_id)
        .order_by(CampaignRecipient.id))).all())


async def account_id(session: AsyncSession, org: Organisation, ref: str) -> int:
    found = (await session.exec(select(Account.id).where(Account.org_id == org.id, Account.ref == ref))).first()
    if found is None:
        raise NotFound(f"account {ref!r} of organisation {org.slug!r} not found")
    return found
