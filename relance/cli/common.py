"""What every command shares: how a command body runs (settings, logging, the database, an event loop)
and how what went wrong becomes one sentence and an exit code.

A body is `async def body(settings, args, with_db, say) -> int` (or a plain function for the
long-running servers); `args` holds its options by name, as Click parsed them. Nothing costly is
imported here at module level: `relance --help` must not pay for Temporal, SQLAlchemy or boto3.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from types import SimpleNamespace

import click

from relance.cli.main import INTERRUPTED
from relance.cli.output import say

# Failures that are the input's fault (a file, an argument, a setting): exit 2, as for a usage error.
BAD_INPUT = 2


async def with_db(settings, work):
    """`work(db)` with a database opened for it and closed after, whatever happens."""
    from relance.db import Database

    db = Database(settings.database_url)
    try:
        return await work(db)
    finally:
        await db.close()


async def connect(settings):
    """A Temporal client (relance.temporal.client.connect), imported when a command needs one."""
    from relance.temporal.client import connect as temporal_connect

    return await temporal_connect(settings)


def connect_when_asked(settings):
    """A client made on first use (relance.temporal.client.connect_when_asked)."""
    from relance.temporal.client import connect_when_asked as when_asked

    return when_asked(settings)


class Parsed(click.ParamType):
    """An argument read by a function raising ValueError with the sentence to show (exit 2)."""

    def __init__(self, parse: Callable[[str], object], name: str) -> None:
        self.parse, self.name = parse, name

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _date(text: str):
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


DATE = Parsed(_date, "date")
NEGATIVE_NUMBERS = {"ignore_unknown_options": True}


def who() -> str:
    """Who runs the command, for the timelines (`--by`): $USER, read when the command runs."""
    return os.environ.get("USER", "cli")


def runs(into: click.Group | list, name: str, help: str | None = None, context_settings: dict | None = None,
         **given) -> Callable:
    """Register the decorated body as the command `name` (in a group, or in a module's list of
    top-level commands), with the Click arguments and options stacked under this decorator; `given`
    adds fixed values to its args (`settings dunning` gives settings_of="dunning")."""
    def register(body):
        command(into, name, body, reversed(getattr(body, "__click_params__", [])), help, context_settings, **given)
        return body
    return register


def command(into: click.Group | list, name: str, body, params: Iterable[click.Parameter], help: str | None = None,
            context_settings: dict | None = None, **given) -> click.Command:
    """The command `name` running `body` with `params` (for commands made in a loop). With
    NEGATIVE_NUMBERS as context_settings, `-50` is an argument (refused by its check), not an option."""
    def callback(**values):
        return execute(body, {**values, **given})

    made = click.Command(name, params=list(params), callback=callback, help=help, short_help=help,
                         context_settings=context_settings)
    into.append(made) if isinstance(into, list) else into.add_command(made)
    return made


def group(name: str, help: str, parent: click.Group | None = None) -> click.Group:
    """A command group (a subcommand is required: `relance customer` alone shows its usage, exit 2)."""
    made = click.Group(name, help=help, short_help=help)
    if parent is not None:
        parent.add_command(made)
    return made


def exclusive(args: SimpleNamespace, *names: str, required: bool = False) -> None:
    """At most one of these options (exactly one when required), as a usage error naming them."""
    given = [name for name in names if getattr(args, name) not in (None, False)]
    flags = ", ".join(f"--{name.replace('_', '-')}" for name in names)
    if len(given) > 1 or (required and not given):
        raise click.UsageError(f"give {'exactly' if required else 'at most'} one of {flags}")


def execute(body, values: dict) -> int:
    """Run one command body and answer its exit code: a failure is one sentence on stderr and a
    non-zero exit, never a traceback (unless --debug); a closed pipe (`relance show … | head`) ends
    the command quietly; Ctrl-C exits 130."""
    ctx = click.get_current_context()
    args = SimpleNamespace(**{name: _as_given(value) for name, value in values.items()})
    try:
        from relance.config import Settings
        from relance.logging import configure

        settings = Settings()
        configure(settings.log_format, settings.log_level)  # log lines on stderr, never mixed into an answer
        answer = body(settings, args, with_db, say)
        return asyncio.run(answer) if inspect.iscoroutine(answer) else answer
    except KeyboardInterrupt:
        print(f"relance {_top_command(ctx)}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except click.ClickException:
        raise
    except Exception as exc:
        if ctx.find_root().params.get("debug"):
            raise
        print(f"relance {_top_command(ctx)}: {explain(exc)}", file=sys.stderr)
        return BAD_INPUT if _bad_input(exc) else 1


def _as_given(value):
    """A repeatable option as the bodies read it: a list, or None when not given."""
    if isinstance(value, tuple):
        return list(value) or None
    return value


def _top_command(ctx: click.Context) -> str:
    while ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent
    return ctx.info_name or "relance"


def _bad_input(exc: BaseException) -> bool:
    from relance import limits
    from relance.config import ConfigError
    from relance.importing.importer import ImportRejected
    from relance.scenario.authoring import ScenarioRejected
    from relance.webhooks.errors import WebhookError

    return isinstance(exc, (ImportRejected, ScenarioRejected, WebhookError, limits.Refused, ConfigError))


def explain(exc: BaseException) -> str:
    """A sentence for what went wrong: what was unreachable or missing, and how to see more."""
    from temporalio.client import WorkflowUpdateFailedError
    from temporalio.service import RPCError, RPCStatusCode

    from relance import repository
    from relance.config import Settings

    if _bad_input(exc) or isinstance(exc, repository.NotFound):
        return str(exc)
    settings = Settings()
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, UnicodeDecodeError):
        return f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return f"no such workflow running (Temporal: {exc.message})"
    if isinstance(exc, WorkflowUpdateFailedError):
        return str(exc.cause or exc)
    text = f"{type(exc).__name__}: {exc}".split("\n")[0][:300]
    if "client connect" in text.lower() or isinstance(exc, RPCError):
        return f"cannot reach Temporal at {settings.temporal_address} ({text}); is it running?"
    if any(word in text for word in ("asyncpg", "Connect call failed", "OperationalError", "connection was closed")):
        return f"cannot reach PostgreSQL ({text}); is it running (RELANCE_DATABASE_URL)?"
    return f"{text} (run with --debug to see the traceback)"


def refuse_unsafe(settings, *, codec_server: bool = False, warn: bool = True) -> None:
    """A long-running service refuses the README's secrets outside the local stack (ConfigError, exit 2)
    and logs each caution of its settings."""
    settings.refuse_unsafe(codec_server=codec_server)
    if warn:
        import structlog

        for caution in settings.cautions():
            structlog.get_logger().warning("unsafe setting", caution=caution)
