"""The suppression list (models.Suppression): addresses SES's events condemned. A hard bounce stops
every email to the address (it does not exist); a complaint stops all but legal notices.

Legal notices are the emails a law requires relance to send whatever the recipient prefers: the
renewal notice of a tacitly renewed contract (French Code de la consommation, art. L215-1, "loi
Chatel"). Dunning reminders are not legal notices."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Suppression, SuppressionReason


async def suppressed(session: AsyncSession, addresses: Iterable[str], legal_notice: bool = False) -> set[str]:
    """Those of `addresses` (lower case) no email of this kind may go to."""
    wanted = {address.lower() for address in addresses if address}
    if not wanted:
        return set()
    query = select(func.lower(Suppression.address)).where(col(Suppression.address).in_(wanted))
    if legal_notice:
        query = query.where(Suppression.reason == SuppressionReason.HARD_BOUNCE)
    return set((await session.exec(query)).all())
