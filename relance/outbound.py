"""The one door for requests relance makes to an address a tenant gave (webhook endpoints, document
URLs): they reach public addresses only.

A name is resolved and every address it gives is checked: loopback, link-local, private, shared,
multicast, unspecified and reserved addresses are refused, in every spelling (IPv6, IPv4-mapped,
6to4, NAT64, and the numeric forms inet_aton reads: 2130706433, 0x7f.1, 127.1, 0177.0.0.1). The check
runs when the address is registered and again when relance connects, on the very addresses it
connects to (a name that resolved to a public address yesterday and to 127.0.0.1 now is refused).
A POST follows no redirect and never reads the answer's body; a GET (fetch) follows a few redirects,
each checked as the first address was, and reads at most a given number of bytes. Every request has a
time limit, and what the tenant sees of the answer is a status and a short reason of relance's own words.

RELANCE_OUTBOUND_ALLOW names the internal hosts an operator admits (`relance up`'s demo receiver,
the tests' receivers on 127.0.0.1): `host` or `host:port`, comma-separated.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Short: a slow endpoint holds a slot of the webhook queue this long at most.
TIMEOUT = aiohttp.ClientTimeout(total=10, sock_connect=5)
RESOLVE_SECONDS = 3
# Relance's own words, the only things a tenant reads about an answer (never its body).
REFUSED = "refused: address not allowed"
TIMED_OUT = "timed out"
UNREACHABLE = "could not connect"
UNRESOLVED = "the name does not resolve"
BROKEN = "no valid HTTP answer"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The host is, or resolves to, an address relance does not send to."""


@dataclass(frozen=True)
class Allowlist:
    """Hosts an operator admits although they are internal; a port of None admits every port."""

    entries: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, spec: str) -> Allowlist:
        """'hooks.internal, 127.0.0.1:8089, [::1]:9000' -> its entries (names lower-cased)."""
        entries = set()
        for item in (part.strip() for part in spec.split(",") if part.strip()):
            parts = urlsplit(f"//{item}")
            entries.add(((parts.hostname or item).lower(), parts.port))
        return cls(frozenset(entries))

    def admits(self, host: str, port: int | None) -> bool:
        host = host.lower().strip("[]")
        return (host, None) in self.entries or (host, port) in self.entries


def is_forbidden(address: IPAddress) -> bool:
    """Anything but a public unicast address, and the public forms that carry a forbidden IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and is_forbidden(embedded):
            return True
    return not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified


def literal(host: str) -> IPAddress | None:
    """The address a host names by itself, in any spelling a resolver would accept; None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # 2130706433, 0x7f.1, 127.1, 0177.0.0.1
    except OSError:
        return None


async def lookup(host: str, port: int) -> list[tuple[IPAddress, int]]:
    """Every address the name resolves to, with its family (the system resolver, bounded in time)."""
    infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS)
    return [(ipaddress.ip_address(sockaddr[0].split("%")[0]), family) for family, _, _, _, sockaddr in infos]


async def url_problem(url: str, allow: Allowlist) -> str | None:
    """What is wrong with a URL a tenant gives; None when relance may send to it. A name that does
    not resolve yet is accepted: the check at connection time still applies."""
    try:
        parts = urlsplit(url)
        port = _port(parts)
    except ValueError as exc:
        return f"{url!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} must start with http:// or https://"
    if not parts.hostname:
        return f"{url!r} has no host"
    try:
        await _check_host(parts.hostname, port, allow)
    except AddressRefused as exc:
        return f"{url!r}: {exc}"
    except ValueError:  # an empty or too long label, a NUL: no resolver takes it
        return f"{url!r}: {parts.hostname!r} is not a host name"
    except OSError:  # no answer (yet): the check at connection time decides
        return None
    return None


@dataclass(frozen=True)
class Answer:
    status: int | None  # None when no HTTP answer came
    reason: str | None  # None on a 2xx; else relance's own short words, never the answer's body
    latency_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def post(url: str, payload: bytes, headers: dict[str, str], allow: Allowlist) -> Answer:
    """POST once to a public address (or one the allow-list admits): the status and a short reason."""
    started = time.monotonic()
    status, reason = None, None
    connector = aiohttp.TCPConnector(resolver=_GuardedResolver(allow), use_dns_cache=False, force_close=True)
    try:
        parts = urlsplit(url)
        _check_literal(parts.hostname or "", _port(parts), allow)
        async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as http, \
                http.post(url, data=payload, headers=headers, allow_redirects=False) as response:
            status = response.status
            response.close()  # the body is never read: not a byte of it is kept or shown
        reason = None if 200 <= status < 300 else f"HTTP {status}"
    except Exception as exc:  # every failure of the endpoint's becomes one of relance's own reasons
        reason = _reason(exc)
        if reason is None:
            raise
    finally:
        await connector.close()
    return Answer(status, reason, round((time.monotonic() - started) * 1000))


# A host's API waits for the document (an invoice saved with its URL): the whole fetch is bounded below
# the time a client waits for an answer.
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=6, sock_connect=4, sock_read=4)
MAX_REDIRECTS = 3
TOO_LARGE = "the answer is larger than allowed"
TOO_MANY_REDIRECTS = "too many redirects"


class FetchFailed(Exception):
    """A GET that brought nothing usable; the message is relance's own short words."""


async def fetch(url: str, allow: Allowlist, max_bytes: int, timeout: aiohttp.ClientTimeout = FETCH_TIMEOUT) -> bytes:
    """GET a tenant's URL: its body, at most `max_bytes` (FetchFailed past it, without reading further).
    Redirects are followed by hand, MAX_REDIRECTS at most, each new address checked like the first."""
    connector = aiohttp.TCPConnector(resolver=_GuardedResolver(allow), use_dns_cache=False, force_close=True)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            for _ in range(MAX_REDIRECTS + 1):
                # The resolver checks every name it resolves; an address written in the URL is checked here.
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    raise FetchFailed(REFUSED)
                _check_literal(parts.hostname, _port(parts), allow)
                async with http.get(url, allow_redirects=False) as response:
                    if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                        url = str(response.url.join(URL(response.headers["Location"])))
                        continue
                    if not 200 <= response.status < 300:
                        raise FetchFailed(f"HTTP {response.status}")
                    return await _bounded_body(response, max_bytes)
            raise FetchFailed(TOO_MANY_REDIRECTS)
    except FetchFailed:
        raise
    except Exception as exc:
        reason = _reason(exc)
        if reason is None:
            raise
        raise FetchFailed(reason) from exc
    finally:
        await connector.close()


async def _bounded_body(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if (response.content_length or 0) > max_bytes:
        raise FetchFailed(TOO_LARGE)
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise FetchFailed(TOO_LARGE)
    return bytes(body)


def _reason(exc: BaseException) -> str | None:
    """The short words for a failure; None for one that is not the endpoint's (a bug, a cancellation)."""
    if isinstance(exc, AddressRefused) or isinstance(exc.__cause__, AddressRefused):
        return REFUSED
    if isinstance(exc, TimeoutError):
        return TIMED_OUT
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return UNRESOLVED
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UNREACHABLE
    if isinstance(exc, aiohttp.ClientError | OSError | ValueError):
        return BROKEN
    return None


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _check_literal(host: str, port: int, allow: Allowlist) -> None:
    """An address written in the URL: aiohttp connects to it without asking the resolver."""
    address = literal(host)
    if address is not None and is_forbidden(address) and not allow.admits(host, port):
        raise AddressRefused(f"{host} is not a public address")


async def _check_host(host: str, port: int, allow: Allowlist) -> list[tuple[IPAddress, int]]:
    """The addresses relance may connect to for this host; AddressRefused when any is forbidden."""
    address = literal(host)
    found = [(address, socket.AF_INET6 if address.version == 6 else socket.AF_INET)] if address else \
        await lookup(host, port)
    if allow.admits(host, port):
        return found
    refused = sorted({str(a) for a, _ in found if is_forbidden(a)})
    if refused == [host.strip("[]")]:
        raise AddressRefused(f"{refused[0]} is not a public address")
    if refused:
        raise AddressRefused(f"{host} is {', '.join(refused)}, not a public address")
    return found


class _GuardedResolver(AbstractResolver):
    """aiohttp's resolver for outbound requests: the addresses it answers are the ones checked."""

    def __init__(self, allow: Allowlist):
        self.allow = allow

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host=str(address), port=port, family=found_family, proto=0,
                              flags=socket.AI_NUMERICHOST)
                for address, found_family in await _check_host(host, port, self.allow)]

    async def close(self) -> None:
        pass
