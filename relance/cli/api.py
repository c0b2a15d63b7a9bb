"""`relance api` (serve the HTTP API) and `relance apikey create|list|revoke` (the keys that open it)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from relance import apikeys, calendar, repository
from relance.config import Settings


def add_parsers(sub) -> None:
    api = sub.add_parser("api", help="serve the HTTP API (docs at /docs)")
    api.add_argument("--host", help="default: RELANCE_API_HOST (127.0.0.1)")
    api.add_argument("--port", type=int, help="default: RELANCE_API_PORT (8000)")
    key = sub.add_parser("apikey", help="API keys: create (shown once), list, revoke")
    commands = key.add_subparsers(dest="apikey_command", required=True)
    create = commands.add_parser("create", help="a new key for an organisation, or --admin")
    create.add_argument("org", nargs="?", help="organisation slug (not with --admin)")
    create.add_argument("--admin", action="store_true", help="a key that may only create organisations")
    create.add_argument("--name", default="", help="what the key is for")
    listing = commands.add_parser("list", help="an organisation's keys (or --admin), with last use")
    listing.add_argument("org", nargs="?")
    listing.add_argument("--admin", action="store_true")
    revoke = commands.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("org", nargs="?")
    revoke.add_argument("key_id", type=int)
    revoke.add_argument("--admin", action="store_true")


def serve(settings: Settings, args: argparse.Namespace, say) -> int:
    import uvicorn

    from relance.api.app import create_app

    host, port = args.host or settings.api_host, args.port or settings.api_port
    say(f"relance API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.Server(server_config(create_app(settings), settings, host, port)).run()
    return 0


def server_config(app, settings: Settings, host: str, port: int):
    """uvicorn's settings: X-Forwarded-For is read only from RELANCE_TRUSTED_PROXIES (uvicorn would
    otherwise trust it from any process on 127.0.0.1, or from FORWARDED_ALLOW_IPS)."""
    import uvicorn

    trusted = settings.trusted_proxies
    return uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(),
                          proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)


async def apikey(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    org = _owner(args)
    now = datetime.now(UTC)
    if args.apikey_command == "create":
        key, token = await with_db(settings, lambda db: apikeys.create_key(db, org, args.name, now))
        say(f"API key {key.id} for {'admin use' if org is None else org} (shown once, keep it):\n{token}")
        return 0
    if args.apikey_command == "revoke":
        key = await with_db(settings, lambda db: apikeys.revoke_key(db, org, args.key_id, now))
        say(f"API key {key.id} ({key.prefix}…) revoked")
        return 0
    keys = await with_db(settings, lambda db: apikeys.list_keys(db, org))
    tz = await with_db(settings, lambda db: repository.zone(db, org))
    for key in keys:
        used = calendar.written_or(key.last_used_at, tz, "never used")
        state = f"revoked {calendar.written(key.revoked_at, tz)}" if key.revoked_at else "active"
        say(f"  {key.id:4}  {key.prefix}…  {key.name or '-':20} created {calendar.written(key.created_at, tz)}  "
            f"{used}  {state}")
    say(f"{len(keys)} key(s)")
    return 0


def _owner(args: argparse.Namespace) -> str | None:
    if args.admin == bool(args.org):
        raise ValueError("name an organisation, or give --admin (not both)")
    return args.org
