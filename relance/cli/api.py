"""`relance api` (serve the HTTP API) and `relance apikey create|list|revoke` (the keys that open it)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from relance.cli.common import command, group, refuse_unsafe, runs

COMMANDS: list[click.Command] = []
apikey_group = group("apikey", help="API keys: create (shown once), list, revoke")


@runs(COMMANDS, "api", help="serve the HTTP API (docs at /docs)")
@click.option("--host", help="default: RELANCE_API_HOST (127.0.0.1)")
@click.option("--port", type=int, help="default: RELANCE_API_PORT (8000)")
def serve(settings, args, with_db, say) -> int:
    refuse_unsafe(settings)  # before the app's imports: a refused start answers at once
    import uvicorn

    from relance.api.app import create_app

    host, port = args.host or settings.api_host, args.port or settings.api_port
    say(f"relance API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.Server(server_config(create_app(settings), settings, host, port)).run()
    return 0


def server_config(app, settings, host: str, port: int):
    """uvicorn's settings: X-Forwarded-For is read only from RELANCE_TRUSTED_PROXIES (uvicorn would
    otherwise trust it from any process on 127.0.0.1, or from FORWARDED_ALLOW_IPS)."""
    import uvicorn

    trusted = settings.trusted_proxies
    return uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(),
                          proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)


async def apikey(settings, args, with_db, say) -> int:
    from relance import apikeys, calendar, repository

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


def _owner(args) -> str | None:
    if args.admin == bool(args.org):
        raise ValueError("name an organisation, or give --admin (not both)")
    return args.org


def _owner_params() -> list[click.Parameter]:
    return [click.Argument(["org"], required=False),
            click.Option(["--admin"], is_flag=True, help="the admin keys (that may only create organisations)")]


command(apikey_group, "create", apikey,
        [*_owner_params(), click.Option(["--name"], default="", help="what the key is for")],
        help="a new key for an organisation, or --admin", apikey_command="create")
command(apikey_group, "list", apikey, _owner_params(), help="an organisation's keys (or --admin), with last use",
        apikey_command="list")


def _org_and_key(ctx, param, words: tuple[str, ...]) -> tuple[str | None, int]:
    """`[ORG] KEY_ID`: the organisation is left out with --admin (argparse read it so; Click needs telling)."""
    if len(words) not in (1, 2) or not words[-1].isdigit():
        raise click.BadParameter("give [ORG] KEY_ID, the key's id a number", ctx, param)
    return (words[0] if len(words) == 2 else None), int(words[-1])


async def _revoke(settings, args, with_db, say) -> int:
    args.org, args.key_id = args.org_and_key
    return await apikey(settings, args, with_db, say)


command(apikey_group, "revoke", _revoke,
        [click.Argument(["org_and_key"], nargs=-1, required=True, metavar="[ORG] KEY_ID", callback=_org_and_key),
         _owner_params()[1]], help="revoke a key at once", apikey_command="revoke")
COMMANDS.append(apikey_group)
