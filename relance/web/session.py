"""Who is at the browser: a signed, HttpOnly, SameSite cookie holding a random session key.

Every visitor gets a key, signed in or not, so every form (the sign-in form too) carries a CSRF
token derived from it: HMAC(secret, key). A forged or tampered cookie is treated as no cookie; a
form whose token does not match the cookie's key is refused. Signing in swaps the key for a new
one (no session fixation); signing out deletes the server's record of it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from models import StaffAccount
from relance import i18n, staff
from relance.agency.summary_email import OUTBOX_PATH
from relance.api.services import Services, services
from relance.i18n import N_

COOKIE = "relance_outbox"
PATH = OUTBOX_PATH


class SignInNeeded(Exception):
    """The page needs a signed-in visitor: they are sent to the sign-in form, then back."""


class Refused(Exception):
    """A request the outbox answers with an explanation page: a status and a sentence (a message marked
    with N_, translated for the reader, its %(name)s placeholders filled from `params`). `reader`: the
    visitor as the refused page was to be read (a page's language switch), else the visitor's own."""

    def __init__(self, status: int, message: str, *, reader: Visitor | None = None, **params: object):
        super().__init__(message % params if params else message)
        self.status, self.message, self.params, self.reader = status, message, params, reader


@dataclass
class Visitor:
    """Who is at the browser, and the language and locale the pages are written in for them."""

    key: str
    account: StaffAccount | None = None
    org_slug: str | None = None
    language: str = i18n.DEFAULT_LANGUAGE
    locale: str = "fr_FR"
    currency: str = "EUR"
    new_cookie: bool = False

    def csrf_token(self, secret: str) -> str:
        return hmac.new(secret.encode(), b"csrf:" + self.key.encode(), hashlib.sha256).hexdigest()


def anonymous(request: Request) -> Visitor:
    """A visitor with a fresh key (first visit, a tampered cookie, after signing out)."""
    return _stranger(request, secrets.token_urlsafe(32), new_cookie=True)


def _stranger(request: Request, key: str, new_cookie: bool = False) -> Visitor:
    """Someone not signed in reads the language their browser asks for (French when it asks for neither)."""
    language = i18n.negotiate(request.headers.get("accept-language"))
    return Visitor(key, language=language, locale=i18n.reading_locale(language, None), new_cookie=new_cookie)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="relance-outbox-session")


def cookie_value(secret: str, key: str) -> str:
    return _serializer(secret).dumps(key)


def _key_from(request: Request, secret: str) -> str | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        return _serializer(secret).loads(raw, max_age=int(staff.SESSION_LIFETIME.total_seconds()))
    except BadSignature:  # tampered, signed with another secret, or too old
        return None


async def visitor(request: Request, svc: Services = Depends(services)) -> Visitor:
    key = _key_from(request, svc.settings.web_secret)
    if key is None:
        return anonymous(request)
    found = await staff.session_account(svc.db, key, datetime.now(UTC))
    if found is None:
        return _stranger(request, key)
    return Visitor(key, found.account, found.org_slug, found.language, found.locale, found.currency)


async def signed_in(visitor: Visitor = Depends(visitor)) -> Visitor:
    if visitor.account is None:
        raise SignInNeeded()
    return visitor


async def form(request: Request, visitor: Visitor, secret: str) -> dict[str, str]:
    """The posted form, once its CSRF token is checked against the visitor's cookie."""
    fields = {name: value for name, value in (await request.form()).items() if isinstance(value, str)}
    if not hmac.compare_digest(fields.get("csrf", ""), visitor.csrf_token(secret)):
        raise Refused(403, N_("This form has expired or did not come from this outbox. Nothing was done: "
                              "go back, reload the page and try again."))
    return fields
