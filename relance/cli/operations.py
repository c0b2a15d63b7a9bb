"""`relance worker|migrate|admin setup|codec-key|codec-server|version`: running and preparing relance
on any servers (a worker, the schema, a Temporal namespace, the payload codec)."""

from __future__ import annotations

import asyncio
import sys

import click

from relance.cli.common import connect, refuse_unsafe, runs
from relance.cli.output import say

COMMANDS: list[click.Command] = []


@runs(COMMANDS, "worker", help="run a worker (settings from the environment)")
def worker(settings, args, with_db, say_) -> int:
    refuse_unsafe(settings)  # before the worker's imports: a refused start answers at once
    from worker import run_worker

    asyncio.run(run_worker(settings))
    return 0


@runs(COMMANDS, "migrate", help="bring the database schema up to date")
def migrate(settings, args, with_db, say_) -> int:
    from relance.migrate import upgrade

    upgrade(settings.database_url)
    say("database schema up to date")
    return 0


@runs(COMMANDS, "admin", help="register relance's search attributes (and namespace) on any Temporal server")
@click.argument("action", type=click.Choice(["setup"]))
@click.option("--namespace", help="default: RELANCE_TEMPORAL_NAMESPACE")
@click.option("--create-namespace", is_flag=True)
@click.option("--retention-days", type=int, default=30)
async def admin(settings, args, with_db, say_) -> int:
    """Prepare a real cluster's namespace: idempotent, safe to run at every deploy."""
    from datetime import timedelta

    from temporalio.service import RPCError

    from relance.temporal.admin import ensure_namespace, ensure_search_attributes
    from starter.email_events import ensure_ses_events_drain

    namespace = args.namespace or settings.temporal_namespace
    client = await connect(settings)
    if args.create_namespace:
        created = await ensure_namespace(client, namespace, timedelta(days=args.retention_days))
        say(f"namespace {namespace}: {'created' if created else 'already there'}")
    # A namespace just created takes a few seconds to be known to every service.
    for attempt in range(60):
        try:
            added = await ensure_search_attributes(client, namespace)
            break
        except RPCError:
            if attempt == 59:
                raise
            await asyncio.sleep(0.5)
    say(f"search attributes of {namespace}: " + (f"added {', '.join(added)}" if added else "all already there"))
    drain = await ensure_ses_events_drain(client, settings.task_queue, settings.ses_events_every)
    say(f"run {drain.id}: SES's events drained every {settings.ses_events_every:g} s")
    return 0


@runs(COMMANDS, "codec-key", help="print a new encryption key entry for RELANCE_CODEC_KEYS")
@click.argument("key_id", default="k1", required=False)
def codec_key(settings, args, with_db, say_) -> int:
    from relance.temporal.codec import new_key

    say(f"{args.key_id}:{new_key()}")
    return 0


@runs(COMMANDS, "codec-server", help="serve /encode and /decode for the Temporal UI and CLI")
@click.option("--host", default="127.0.0.1")
def codec_server(settings, args, with_db, say_) -> int:
    from relance.temporal.codec import codec_from
    from relance.temporal.codec_server import serve

    refuse_unsafe(settings, codec_server=True, warn=False)
    codec = codec_from(settings.codec_keys)
    if codec is None:
        print("RELANCE_CODEC_KEYS is empty: nothing to decode", file=sys.stderr)
        return 2
    say(f"codec server on http://{args.host}:{settings.codec_port} (CORS: {settings.codec_cors_origins})")
    serve(codec, args.host, settings.codec_port, settings.codec_cors_origins.split(","), settings.codec_token)
    return 0


@click.command("version", help="print relance's version")
def version() -> None:
    from importlib.metadata import version as installed

    say(f"relance {installed('relance')}")


COMMANDS.append(version)
