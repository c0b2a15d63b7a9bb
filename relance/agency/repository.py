"""Reads the agency domain shares: an agency of an organisation (never another's), a booking's facts."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Agency, Booking, BookingPayment, Draft, Organisation
from relance.agency.kinds import COUNTS_FROM, BookingFacts
from relance.repository import NotFound, organisation


async def agency(session: AsyncSession, org_slug: str, agency_slug: str) -> tuple[Organisation, Agency]:
    org = await organisation(session, org_slug)
    found = (await session.exec(select(Agency).where(Agency.org_id == org.id, Agency.slug == agency_slug))).first()
    if found is None:
        raise NotFound(f"agency {agency_slug!r} of organisation {org_slug!r} not found")
    return org, found


async def booking(session: AsyncSession, agency_row: Agency, reference: str) -> Booking:
    found = (await session.exec(select(Booking).where(Booking.agency_id == agency_row.id,
                                                      Booking.reference == reference))).first()
    if found is None:
        raise NotFound(f"booking {reference!r} of agency {agency_row.slug!r} not found")
    return found


async def draft(session: AsyncSession, agency_row: Agency, draft_id: int) -> Draft:
    found = await session.get(Draft, draft_id)
    if found is None or found.agency_id != agency_row.id:
        raise NotFound(f"draft {draft_id} of agency {agency_row.slug!r} not found")
    return found


async def paid(session: AsyncSession, booking_id: int) -> Decimal:
    total = (await session.exec(select(func.coalesce(func.sum(BookingPayment.amount), 0)).where(
        BookingPayment.booking_id == booking_id))).one()
    return Decimal(total)


async def facts(session: AsyncSession, row: Booking, previous_status: str | None = None) -> BookingFacts:
    outstanding = max(Decimal(row.balance_amount) - await paid(session, row.id), Decimal(0))
    dates = {kind: getattr(row, column) for kind, column in COUNTS_FROM.items()}
    return BookingFacts(row.status, previous_status, dates, outstanding)
