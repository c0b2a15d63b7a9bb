"""`relance webhook add|list|remove|deliveries|replay|listen`: an organisation's webhook endpoints and
their deliveries, and a local receiver to watch events arrive. The same functions as the HTTP API
(starter/webhooks.py)."""

from __future__ import annotations

import argparse

from models import DeliveryState
from relance import calendar, repository
from relance.config import Settings
from relance.db import Database
from relance.outbound import Allowlist
from relance.sealing import Sealer
from relance.temporal.client import connect
from relance.webhooks.events import EVENT_TYPES
from relance.webhooks.listener import LOCAL_HOST, LOCAL_PORT


def add_parser(sub) -> None:
    webhook = sub.add_parser("webhook", help="signed webhooks: endpoints, deliveries, replay, a local receiver")
    commands = webhook.add_subparsers(dest="webhook_command", required=True)
    add = commands.add_parser("add", help="register an endpoint (prints its signing secret once)")
    add.add_argument("org")
    add.add_argument("url")
    add.add_argument("--events", type=_names, help=f"comma-separated, default all: {','.join(EVENT_TYPES)}")
    add.add_argument("--secret", help="whsec_<base64> (default: a new random secret)")
    listing = commands.add_parser("list", help="the organisation's endpoints")
    listing.add_argument("org")
    remove = commands.add_parser("remove", help="disable an endpoint: nothing more is sent to it")
    remove.add_argument("org")
    remove.add_argument("id", type=int)
    deliveries = commands.add_parser("deliveries", help="the latest deliveries: status, attempts, last error")
    deliveries.add_argument("org")
    deliveries.add_argument("--failed", action="store_true", help="only those that never succeeded")
    deliveries.add_argument("--last", type=int, default=50)
    replay = commands.add_parser("replay", help="send a failed delivery again")
    replay.add_argument("org")
    replay.add_argument("delivery_id", type=int)
    listen = commands.add_parser("listen", help="a local receiver printing each event and whether it is signed")
    listen.add_argument("--port", type=int, default=LOCAL_PORT)
    listen.add_argument("--host", default=LOCAL_HOST)
    listen.add_argument("--secret", help="verify with this whsec_ secret instead of those of the endpoints "
                        "registered for this address")


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
    command = {"add": _add, "list": _list, "remove": _remove, "deliveries": _deliveries, "replay": _replay,
               "listen": _listen}[args.webhook_command]
    return await command(settings, args, with_db, say)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


async def _add(settings: Settings, args, with_db, say) -> int:
    from starter.webhooks import add_endpoint

    endpoint, secret = await with_db(settings, lambda db: add_endpoint(
        db, args.org, args.url, args.events, args.secret, Allowlist.parse(settings.outbound_allow),
        Sealer(settings.codec_keys)))
    say(f"webhook endpoint {endpoint.id} of {args.org}: {endpoint.url} ({_events(endpoint)})")
    say(f"  secret: {secret}")
    say("  (shown once: keep it where your receiver reads it; it signs every request)")
    return 0


async def _list(settings: Settings, args, with_db, say) -> int:
    from starter.webhooks import list_endpoints

    org, endpoints = await with_db(settings, lambda db: _org_and(db, args.org, list_endpoints(db, args.org)))
    for endpoint in endpoints:
        state = "enabled" if endpoint.enabled else f"disabled ({endpoint.disabled_reason})"
        say(f"  {endpoint.id:>4}  {state:10}  {endpoint.url}  {_events(endpoint)}  since "
            f"{calendar.written(endpoint.created_at, org.timezone)}")
    say(f"{len(endpoints)} endpoint(s) of {org.slug}")
    return 0


async def _remove(settings: Settings, args, with_db, say) -> int:
    from starter.webhooks import remove_endpoint

    endpoint = await with_db(settings, lambda db: remove_endpoint(db, args.org, args.id))
    say(f"webhook endpoint {endpoint.id} of {args.org} ({endpoint.url}) disabled: nothing more is sent to it")
    return 0


async def _deliveries(settings: Settings, args, with_db, say) -> int:
    from starter.webhooks import list_deliveries

    state = DeliveryState.FAILED if args.failed else None
    org, rows = await with_db(settings, lambda db: _org_and(
        db, args.org, list_deliveries(db, args.org, state, args.last)))
    for d in rows:
        last = f"HTTP {d.last_status}" if d.last_status else "no answer" if d.attempts else "not tried yet"
        line = (f"  {d.id:>5}  {calendar.written(d.occurred_at, org.timezone)}  {d.event_type:24} "
                f"→ endpoint {d.endpoint_id}  {d.state:9}  {d.attempts} attempt(s), last {last}")
        if d.state != DeliveryState.SUCCEEDED and d.last_error:
            line += f": {d.last_error}"
        say(line)
    say(f"{len(rows)} {'failed ' if args.failed else ''}deliver{'y' if len(rows) == 1 else 'ies'} of {org.slug}"
        + ("; `relance webhook replay ORG ID` sends one again" if args.failed and rows else ""))
    return 0


async def _replay(settings: Settings, args, with_db, say) -> int:
    from starter.webhooks import replay_delivery

    client = await connect(settings)
    view = await with_db(settings, lambda db: replay_delivery(client, db, settings.task_queue, args.org,
                                                              args.delivery_id))
    say(f"webhook delivery {view.id} ({view.event_type} → {view.url}) replayed: being sent again")
    return 0


async def _listen(settings: Settings, args, with_db, say) -> int:
    from relance.webhooks.listener import listen
    from relance.webhooks.validation import check_secret
    from starter.webhooks import registered_secrets

    if args.secret:
        check_secret(args.secret)  # a malformed secret: one sentence, not a trace
    db = None if args.secret else Database(settings.database_url)

    async def secrets() -> list[str]:
        if db is None:
            return [args.secret]
        return await registered_secrets(db, args.host, args.port, Sealer(settings.codec_keys))

    try:
        await listen(args.host, args.port, secrets, say)
    finally:
        if db is not None:
            await db.close()
    return 0


async def _org_and(db, slug: str, rows):
    """The rows (whose call names a missing organisation), then the organisation for its zone."""
    rows = await rows
    async with db.session() as session:
        return await repository.organisation(session, slug), rows


def _events(endpoint) -> str:
    return "events: " + (", ".join(endpoint.event_types) if endpoint.event_types else "all")
