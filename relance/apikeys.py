"""API keys: made once and shown once, kept as a hash, revocable, each confined to one organisation.

A key is 256 random bits, so a single SHA-256 is enough to keep it (a slow hash protects guessable
passwords, not random keys) and lets a request find its key in one indexed read."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from models import ApiKey, Organisation
from relance import repository
from relance.db import Database

KEY_PREFIX = "rlk_"
# A key's last use is written at most this often: not a write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyHolder:
    """Who a request is: the key's id, its organisation's slug and time zone (None for an admin key), and
    the key's name, which what it asks for is recorded under ("asked by …")."""

    key_id: int
    org_slug: str | None
    timezone: str | None = None
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.org_slug is None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_key(db: Database, org_slug: str | None, name: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key for the organisation (or an admin key when org_slug is None); returns it with the
    token, which is never stored and cannot be shown again."""
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    async with db.session() as session:
        org_id = (await repository.organisation(session, org_slug)).id if org_slug else None
        key = ApiKey(org_id=org_id, name=name, prefix=token[:12], key_hash=digest(token), created_at=now)
        session.add(key)
        await session.flush()
    return key, token


async def authenticate(db: Database, token: str, now: datetime) -> KeyHolder | None:
    """The holder of a valid, unrevoked key; None otherwise (the caller answers 401)."""
    if not token.startswith(KEY_PREFIX):
        return None
    async with db.session() as session:
        row = (await session.exec(
            select(ApiKey.id, ApiKey.last_used_at, ApiKey.name, Organisation.slug, Organisation.timezone)
            .outerjoin(Organisation, Organisation.id == ApiKey.org_id)
            .where(ApiKey.key_hash == digest(token), ApiKey.revoked_at.is_(None)))).first()
        if row is None:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
            await session.exec(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return KeyHolder(row.id, row.slug, row.timezone, row.name)


async def list_keys(db: Database, org_slug: str | None) -> list[ApiKey]:
    """The organisation's keys (admin keys when org_slug is None), revoked ones included."""
    async with db.session() as session:
        org_id = (await repository.organisation(session, org_slug)).id if org_slug else None
        where = ApiKey.org_id == org_id if org_id is not None else ApiKey.org_id.is_(None)
        return list((await session.exec(select(ApiKey).where(where).order_by(ApiKey.id))).all())


async def revoke_key(db: Database, org_slug: str | None, key_id: int, now: datetime) -> ApiKey:
    """Revoke one of the organisation's keys; revoking twice keeps the first time."""
    keys = {key.id: key for key in await list_keys(db, org_slug)}
    if key_id not in keys:
        owner = f"organisation {org_slug!r}" if org_slug else "the admin keys"
        raise repository.NotFound(f"API key {key_id} of {owner} not found")
    async with db.session() as session:
        key = await session.get(ApiKey, key_id)
        key.revoked_at = key.revoked_at or now
        session.add(key)
    return key
