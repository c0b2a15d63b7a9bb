"""Reads every domain shares: the organisation of a request, account references."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Account, Organisation
from relance import calendar


class NotFound(LookupError):
    pass


async def organisation(session: AsyncSession, slug: str) -> Organisation:
    org = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    if org is None:
        raise NotFound(f"organisation {slug!r} not found")
    return org


async def zone(db, slug: str | None) -> str:
    """The time zone every time shown to the organisation is written in (relance.calendar.written); UTC
    where no organisation applies (admin keys). `db` is a relance.db.Database."""
    if slug is None:
        return "UTC"
    async with db.session() as session:
        return (await organisation(session, slug)).timezone


async def organisation_today(db, slug: str, now: datetime) -> date:
    """The organisation's day at `now`: what a date left out, or written "today-N", means to its people
    (the UTC date is yesterday's for an hour each night in Paris)."""
    return calendar.local_today(now, await zone(db, slug))


async def account_refs(session: AsyncSession, account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    rows = (await session.exec(select(Account.id, Account.ref).where(Account.id.in_(account_ids)))).all()
    return {row.id: row.ref for row in rows}
