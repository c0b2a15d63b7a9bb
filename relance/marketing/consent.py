"""Unsubscribe links: a token that names the contact (organisation and contact reference) signed with
HMAC-SHA256 under RELANCE_UNSUBSCRIBE_SECRET, so the link needs no API key and cannot be forged or
pointed at another contact. The API serves it at /u/{token} (a page, and RFC 8058 one-click POST)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

SIGNATURE_BYTES = 16  # 128 bits: unforgeable, and the link stays short


@dataclass(frozen=True)
class Subscriber:
    org_slug: str
    contact_ref: str


class BadToken(ValueError):
    """The token was not made with this secret (or was altered)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), b"unsubscribe:" + payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]


def make_token(secret: str, subscriber: Subscriber) -> str:
    payload = f"{subscriber.org_slug}\n{subscriber.contact_ref}".encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def read_token(secret: str, token: str) -> Subscriber:
    try:
        encoded, signature = token.split(".", 1)
        payload = _unb64(encoded)
        valid = hmac.compare_digest(_unb64(signature), _signature(secret, payload))
        org_slug, contact_ref = payload.decode().split("\n", 1)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadToken("this unsubscribe link is not valid") from exc
    if not valid:
        raise BadToken("this unsubscribe link is not valid")
    return Subscriber(org_slug, contact_ref)


@dataclass(frozen=True)
class Links:
    """Where unsubscribe links point (the API's public address) and the secret that signs them."""

    public_url: str
    secret: str

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return f"{self.public_url.rstrip('/')}/u/{make_token(self.secret, subscriber)}"
