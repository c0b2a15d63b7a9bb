"""The reads behind the outbox pages and the day's summary, always within one agency."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Agency, AgencyStaff, Booking, Document, Draft, DraftStatus, Organisation, Property
from relance.agency import kinds
from relance.agency.drafting import OPEN
from relance.agency.views import DaySummary, DraftLine

EXPIRING_WITHIN = timedelta(days=2)
LISTED = OPEN + (DraftStatus.SENDING,)  # what a tab shows


async def agencies_of(session: AsyncSession, org: Organisation, email: str) -> list[Agency]:
    return list((await session.exec(select(Agency).join(AgencyStaff, AgencyStaff.agency_id == Agency.id).where(
        Agency.org_id == org.id, AgencyStaff.email == email.strip().lower()).order_by(Agency.name))).all())


async def summary(session: AsyncSession, agency: Agency, today: date) -> DaySummary:
    """Drafts waiting per tab (every kind present) and the open ones whose last sendable day is within two days."""
    rows = (await session.exec(select(Draft.kind, func.count()).where(
        Draft.agency_id == agency.id, col(Draft.status).in_(LISTED)).group_by(Draft.kind))).all()
    waiting = {kind.value: 0 for kind in kinds.KINDS} | dict(rows)
    expiring = list((await session.exec(select(Draft).where(
        Draft.agency_id == agency.id, col(Draft.status).in_(OPEN), Draft.sendable_until >= today,
        Draft.sendable_until <= today + EXPIRING_WITHIN).order_by(Draft.sendable_until, Draft.id))).all())
    return DaySummary(agency, today, waiting, len(expiring), expiring)


async def lines(session: AsyncSession, agency: Agency, *conditions, newest_first: bool = False) -> list[DraftLine]:
    order = (col(Draft.id).desc(),) if newest_first else (Draft.due_on, Draft.id)
    files = select(func.count()).where(Document.draft_id == Draft.id).scalar_subquery()
    rows = (await session.exec(select(Draft, Booking, Property, files).join(Booking, Booking.id == Draft.booking_id)
                               .join(Property, Property.id == Booking.property_id)
                               .where(Draft.agency_id == agency.id, *conditions).order_by(*order))).all()
    return [DraftLine(*row) for row in rows]


async def tab(session: AsyncSession, agency: Agency, kind: str) -> list[DraftLine]:
    if kind not in set(kinds.KINDS):
        raise ValueError(f"field kind: unknown tab {kind!r} (one of {', '.join(kinds.KINDS)})")
    return await lines(session, agency, Draft.kind == kind, col(Draft.status).in_(LISTED))
