"""`relance webhook add|list|remove|deliveries|replay|listen`: an organisation's webhook endpoints and
their deliveries, and a local receiver to watch events arrive. The same functions as the HTTP API
(starter/webhooks.py)."""

from __future__ import annotations

import click

from relance.cli.common import Parsed, connect, group, runs
from relance.webhooks.events import EVENT_TYPES

webhook = group("webhook", help="signed webhooks: endpoints, deliveries, replay, a local receiver")
COMMANDS = [webhook]


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _listener(name: str):
    """The local receiver's address (relance.webhooks.listener, which imports aiohttp: read when run)."""
    def default():
        from relance.webhooks import listener

        return getattr(listener, name)
    return default


@runs(webhook, "add", help="register an endpoint (prints its signing secret once)")
@click.argument("org")
@click.argument("url")
@click.option("--events", type=Parsed(_names, "names"), help=f"comma-separated, default all: {','.join(EVENT_TYPES)}")
@click.option("--secret", help="whsec_<base64> (default: a new random secret)")
async def _add(settings, args, with_db, say) -> int:
    from relance.outbound import Allowlist
    from relance.sealing import Sealer
    from starter.webhooks import add_endpoint

    endpoint, secret = await with_db(settings, lambda db: add_endpoint(
        db, args.org, args.url, args.events, args.secret, Allowlist.parse(settings.outbound_allow),
        Sealer(settings.codec_keys)))
    say(f"webhook endpoint {endpoint.id} of {args.org}: {endpoint.url} ({_events(endpoint)})")
    say(f"  secret: {secret}")
    say("  (shown once: keep it where your receiver reads it; it signs every request)")
    return 0


@runs(webhook, "list", help="the organisation's endpoints")
@click.argument("org")
async def _list(settings, args, with_db, say) -> int:
    from relance import calendar
    from starter.webhooks import list_endpoints

    org, endpoints = await with_db(settings, lambda db: _org_and(db, args.org, list_endpoints(db, args.org)))
    for endpoint in endpoints:
        state = "enabled" if endpoint.enabled else f"disabled ({endpoint.disabled_reason})"
        say(f"  {endpoint.id:>4}  {state:10}  {endpoint.url}  {_events(endpoint)}  since "
            f"{calendar.written(endpoint.created_at, org.timezone)}")
    say(f"{len(endpoints)} endpoint(s) of {org.slug}")
    return 0


@runs(webhook, "remove", help="disable an endpoint: nothing more is sent to it")
@click.argument("org")
@click.argument("id", type=int)
async def _remove(settings, args, with_db, say) -> int:
    from starter.webhooks import remove_endpoint

    endpoint = await with_db(settings, lambda db: remove_endpoint(db, args.org, args.id))
    say(f"webhook endpoint {endpoint.id} of {args.org} ({endpoint.url}) disabled: nothing more is sent to it")
    return 0


@runs(webhook, "deliveries", help="the latest deliveries: status, attempts, last error")
@click.argument("org")
@click.option("--failed", is_flag=True, help="only those that never succeeded")
@click.option("--last", type=int, default=50)
async def _deliveries(settings, args, with_db, say) -> int:
    from models import DeliveryState
    from relance import calendar
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


@runs(webhook, "replay", help="send a failed delivery again")
@click.argument("org")
@click.argument("delivery_id", type=int)
async def _replay(settings, args, with_db, say) -> int:
    from starter.webhooks import replay_delivery

    client = await connect(settings)
    view = await with_db(settings, lambda db: replay_delivery(client, db, settings.task_queue, args.org,
                                                              args.delivery_id))
    say(f"webhook delivery {view.id} ({view.event_type} → {view.url}) replayed: being sent again")
    return 0


@runs(webhook, "listen", help="a local receiver printing each event and whether it is signed")
@click.option("--port", type=int, default=_listener("LOCAL_PORT"), show_default="8765")
@click.option("--host", default=_listener("LOCAL_HOST"), show_default="127.0.0.1")
@click.option("--secret", help="verify with this whsec_ secret instead of those of the endpoints registered for this "
                               "address")
async def _listen(settings, args, with_db, say) -> int:
    from relance.db import Database
    from relance.sealing import Sealer
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
    from relance import repository

    rows = await rows
    async with db.session() as session:
        return await repository.organisation(session, slug), rows


def _events(endpoint) -> str:
    return "events: " + (", ".join(endpoint.event_types) if endpoint.event_types else "all")
