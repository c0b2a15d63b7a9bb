"""Staff accounts for the agency outbox: passwords (argon2id), one-time sign-in links, sessions,
a lockout after repeated wrong passwords, and a cap on attempts from one network address.

The HTTP layer (relance.web) asks these questions; nothing here knows about cookies or forms.
Every answer to "who is this?" is None or an account, never a hint of which part was wrong."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from models import Agency, AgencyStaff, Organisation, SignInThrottle, StaffAccount, StaffSession, StaffSignInLink
from relance import i18n, repository
from relance.db import Database
from relance.i18n import N_

MIN_PASSWORD_LENGTH = 10
# Five wrong passwords in a row lock the account for a quarter of an hour (a sign-in link still works:
# it proves the mailbox, which is what a locked-out person has).
MAX_FAILED_SIGNINS = 5
LOCKOUT = timedelta(minutes=15)
LINK_LIFETIME = timedelta(minutes=15)
# At most this many links per account per LINK_LIFETIME: a form cannot be used to flood a mailbox.
MAX_LINKS = 3
SESSION_LIFETIME = timedelta(hours=12)
# Sign-in attempts (passwords, right or wrong, and link requests) from one network address per
# CLIENT_WINDOW: enough for an office behind one address, too few to guess across many accounts, and
# the cap is checked before argon2 runs, so a flood cannot keep the server's cores busy either.
MAX_ATTEMPTS_PER_CLIENT = 30
CLIENT_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email takes as long as a wrong password;
    made at the first sign-in, not at import (an argon2 hash costs every process importing this)."""
    return _hasher.hash("relance-no-such-account")


class StaffError(ValueError):
    """A refused account change, naming the field."""


class AccountExists(StaffError):
    pass


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password sign-in: the account, or why not (a message to translate, relance.i18n)."""

    account: StaffAccount | None
    refusal: str = ""


@dataclass(frozen=True)
class Link:
    """A one-time sign-in link just made: the token is to be emailed, never stored."""

    account: StaffAccount
    org_slug: str
    token: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalised_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise StaffError(f"staff account: email {email!r} is not an email address ({exc})") from None


async def create_account(db: Database, org_slug: str, email: str, password: str | None) -> StaffAccount:
    """A new account; password None makes one that signs in by email link only."""
    address = normalised_email(email)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"staff account {address}: password must have at least {MIN_PASSWORD_LENGTH} characters")
    hashed = await asyncio.to_thread(_hasher.hash, password) if password is not None else None
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        if (await session.exec(select(StaffAccount.id).where(StaffAccount.email == address))).first():
            raise AccountExists(f"staff account: email {address} already has an account")
        account = StaffAccount(org_id=org.id, email=address, password_hash=hashed)
        session.add(account)
        await session.flush()
    return account


async def ensure_account(db: Database, org_slug: str, email: str, password: str) -> bool:
    """Make the account unless the email has one (the demo's, at every `relance up`); True if made."""
    try:
        await create_account(db, org_slug, email, password)
    except AccountExists:
        return False
    return True


async def sign_in_with_password(db: Database, email: str, password: str, now: datetime) -> SignIn:
    wrong = SignIn(None, N_("The email or the password is wrong."))
    async with db.session() as session:
        account = (await session.exec(select(StaffAccount).where(StaffAccount.email == email.strip().lower())
                                      .with_for_update())).first()
        # A locked account answers as an unknown email does, in the same time: "locked" would tell
        # that the email has an account. The lockout holds all the same.
        if account is None or account.password_hash is None or is_locked(account, now):
            await asyncio.to_thread(_matches, _dummy_hash(), password)
            return wrong
        if not await asyncio.to_thread(_matches, account.password_hash, password):
            _count_wrong_password(account, now)
            session.add(account)
            return wrong
        account.failed_signins, account.locked_until = 0, None
        session.add(account)
    return SignIn(account)


async def client_may_try(db: Database, client: str, now: datetime) -> timedelta | None:
    """Count one attempt from `client`; None if it may go on, else how long until its window ends.
    One statement: attempts at the same instant from one address are all counted."""
    fresh = SignInThrottle.window_start <= now - CLIENT_WINDOW
    upsert = (insert(SignInThrottle).values(client=client[:64], window_start=now, attempts=1)
              .on_conflict_do_update(index_elements=[SignInThrottle.client], set_={
                  "attempts": case((fresh, 1), else_=SignInThrottle.attempts + 1),
                  "window_start": case((fresh, now), else_=SignInThrottle.window_start)})
              .returning(SignInThrottle.attempts, SignInThrottle.window_start))
    async with db.session() as session:
        attempts, window_start = (await session.exec(upsert)).one()
        if attempts == 1:  # a new window: forget the addresses whose window is long over
            await session.exec(delete(SignInThrottle).where(SignInThrottle.window_start <= now - CLIENT_WINDOW))
    if attempts <= MAX_ATTEMPTS_PER_CLIENT:
        return None
    return window_start + CLIENT_WINDOW - now


async def change_password(db: Database, account_id: int, current: str, new: str, keep_session: str,
                          now: datetime) -> str | None:
    """Set the account's password; None when done, else the refusal to show (to translate, %(minimum)s
    filled in). The current password is asked for when there is one (a link-only account sets its first
    after signing in by link); a wrong one counts towards the lockout, so a borrowed session cannot
    guess it. Every session but `keep_session` ends: a password changed because of a leak shuts the
    other browsers out."""
    if len(new) < MIN_PASSWORD_LENGTH:
        return N_("The new password must have at least %(minimum)s characters.")
    hashed = await asyncio.to_thread(_hasher.hash, new)
    async with db.session() as session:
        account = (await session.exec(select(StaffAccount).where(StaffAccount.id == account_id)
                                      .with_for_update())).one()
        if is_locked(account, now):
            return N_("Too many wrong passwords: this account is locked for a few minutes.")
        if account.password_hash is not None and not await asyncio.to_thread(_matches, account.password_hash,
                                                                               current):
            _count_wrong_password(account, now)
            session.add(account)
            return N_("The current password is wrong.")
        account.password_hash, account.failed_signins, account.locked_until = hashed, 0, None
        session.add(account)
        await session.exec(delete(StaffSession).where(StaffSession.account_id == account_id,
                                                      StaffSession.key_hash != digest(keep_session)))
    return None


def is_locked(account: StaffAccount, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def _count_wrong_password(account: StaffAccount, now: datetime) -> None:
    account.failed_signins += 1
    if account.failed_signins >= MAX_FAILED_SIGNINS:
        account.locked_until, account.failed_signins = now + LOCKOUT, 0


def _matches(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


async def make_link(db: Database, email: str, now: datetime) -> Link | None:
    """A new one-time token for the account with this email, or None (no account, or enough links
    already in flight). The caller emails it; only its hash is kept."""
    async with db.session() as session:
        row = (await session.exec(select(StaffAccount, Organisation.slug)
                                  .join(Organisation, Organisation.id == StaffAccount.org_id)
                                  .where(StaffAccount.email == email.strip().lower())
                                  .with_for_update(of=StaffAccount))).first()
        if row is None:
            return None
        account, org_slug = row
        recent = (await session.exec(select(func.count()).select_from(StaffSignInLink).where(
            StaffSignInLink.account_id == account.id, StaffSignInLink.created_at > now - LINK_LIFETIME))).one()
        if recent >= MAX_LINKS:
            return None
        token = secrets.token_urlsafe(32)
        session.add(StaffSignInLink(account_id=account.id, token_hash=digest(token), created_at=now,
                                    expires_at=now + LINK_LIFETIME))
    return Link(account, org_slug, token)


async def use_link(db: Database, token: str, now: datetime) -> StaffAccount | None:
    """The link's account if the link is unused and unexpired; it is then used up (one statement,
    so two clicks at once sign in once)."""
    async with db.session() as session:
        account_id = (await session.exec(
            update(StaffSignInLink)
            .where(StaffSignInLink.token_hash == digest(token), StaffSignInLink.used_at.is_(None),
                   StaffSignInLink.expires_at > now)
            .values(used_at=now).returning(StaffSignInLink.account_id))).scalar_one_or_none()
        if account_id is None:
            return None
        return await session.get(StaffAccount, account_id)


async def open_session(db: Database, account_id: int, now: datetime) -> str:
    """A new session key for a signed-in account (a fresh key at every sign-in: no fixation)."""
    key = secrets.token_urlsafe(32)
    async with db.session() as session:
        session.add(StaffSession(key_hash=digest(key), account_id=account_id, created_at=now,
                                 expires_at=now + SESSION_LIFETIME))
    return key


@dataclass(frozen=True)
class Signed:
    """A signed-in account, its organisation, and the language and locale it reads pages in."""

    account: StaffAccount
    org_slug: str
    language: str
    locale: str
    currency: str


async def session_account(db: Database, key: str, now: datetime) -> Signed | None:
    """The account signed in with this session key, if the session is open."""
    first_agency_language = (select(Agency.language).join(AgencyStaff, AgencyStaff.agency_id == Agency.id)
                             .where(AgencyStaff.org_id == StaffAccount.org_id, AgencyStaff.email == StaffAccount.email)
                             .order_by(Agency.name).limit(1).scalar_subquery())
    async with db.session() as session:
        row = (await session.exec(
            select(StaffAccount, Organisation.slug, Organisation.locale, Organisation.currency, first_agency_language)
            .join(StaffSession, StaffSession.account_id == StaffAccount.id)
            .join(Organisation, Organisation.id == StaffAccount.org_id)
            .where(StaffSession.key_hash == digest(key), StaffSession.expires_at > now))).first()
    if row is None:
        return None
    account, org_slug, org_locale, currency, agency_language = row
    language = reading_language(account, agency_language or org_locale)
    return Signed(account, org_slug, language, i18n.reading_locale(language, org_locale), currency)


def reading_language(account: StaffAccount | None, default: str | None) -> str:
    """The language an account reads relance in: its own choice, else `default` (its agency's, its
    organisation's locale), French when neither says."""
    return i18n.language_of(account.language if account and account.language else default)


async def set_language(db: Database, account_id: int, language: str) -> None:
    """The account's language from now on (one of relance's; anything else is refused)."""
    if language not in i18n.LANGUAGES:
        raise StaffError(f"staff account: language {language!r} is not one of {', '.join(i18n.LANGUAGES)}")
    async with db.session() as session:
        await session.exec(update(StaffAccount).where(StaffAccount.id == account_id).values(language=language))


async def accounts_by_email(session, org_id: int, emails: list[str]) -> dict[str, StaffAccount]:
    """The organisation's accounts of these (lower-case) emails."""
    rows = await session.exec(select(StaffAccount).where(StaffAccount.org_id == org_id,
                                                         col(StaffAccount.email).in_(emails)))
    return {account.email: account for account in rows.all()}


async def close_session(db: Database, key: str) -> None:
    async with db.session() as session:
        await session.exec(delete(StaffSession).where(StaffSession.key_hash == digest(key)))
