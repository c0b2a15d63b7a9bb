"""Checking an endpoint before it is stored: every problem at once, each named with its field."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from relance.outbound import Allowlist, url_problem
from relance.webhooks.errors import EndpointRejected
from relance.webhooks.events import EVENT_TYPES
from relance.webhooks.signing import SECRET_PREFIX, new_secret

# Standard Webhooks: a secret of 24 to 64 random bytes.
SECRET_SIZES = range(24, 65)
SECRET_PROBLEM = (f"must be {SECRET_PREFIX}<base64 of {SECRET_SIZES.start} to {SECRET_SIZES.stop - 1} "
                  "random bytes>, as Standard Webhooks secrets are")


@dataclass(frozen=True)
class EndpointSpec:
    url: str
    event_types: list[str] | None  # None: every event type, present and future
    secret: str


async def validate_endpoint(url: str, events: list[str] | None, secret: str | None,
                            allow: Allowlist) -> EndpointSpec:
    """The endpoint as stored (a secret generated when none is given); EndpointRejected names each
    field that is wrong. The URL must reach a public address, or a host `allow` admits."""
    problems: dict[str, str] = {}
    url = (url or "").strip()
    wrong_url = await url_problem(url, allow)
    if wrong_url:
        problems["url"] = wrong_url
    wanted = [name.strip() for name in events or [] if name.strip()]
    unknown = [name for name in wanted if name not in EVENT_TYPES]
    if events is not None and not wanted:
        problems["events"] = "is empty: name at least one event type, or leave it out for all of them"
    elif unknown:
        problems["events"] = (f"unknown event type(s) {', '.join(map(repr, unknown))} "
                              f"(known: {', '.join(EVENT_TYPES)})")
    if secret is not None and not _is_secret(secret):
        problems["secret"] = SECRET_PROBLEM
    if problems:
        raise EndpointRejected(problems)
    return EndpointSpec(url, sorted(set(wanted)) or None, secret or new_secret())


def check_secret(secret: str) -> None:
    """EndpointRejected naming the field when the secret is not a Standard Webhooks secret."""
    if not _is_secret(secret):
        raise EndpointRejected({"secret": SECRET_PROBLEM})


def _is_secret(secret: str) -> bool:
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) in SECRET_SIZES
