"""A sender named in a setting: one of the organisation's users whose address SES has verified. Checked
when the setting is saved, so a screen says so at once rather than the first reminder not going out."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppUser, Organisation
from relance import limits
from relance.email.mailer import SesMailer


class SenderRefused(limits.Refused):
    """Names the setting and the address; nothing was saved."""


async def verified_sender(session: AsyncSession, mailer: SesMailer, org: Organisation, email: str,
                          where: str) -> AppUser:
    """`where` names the setting ("wizard › sender", "renewals.sender")."""
    user = (await session.exec(select(AppUser).where(AppUser.org_id == org.id, AppUser.email == email))).first()
    if user is None:
        raise SenderRefused(f"{where}: {email!r} is not a user of organisation {org.slug!r}")
    if not await mailer.is_verified(user.email):
        raise SenderRefused(f"{where}: {email} is not a verified address (SES identity); verify it, then save "
                            "again")
    return user
