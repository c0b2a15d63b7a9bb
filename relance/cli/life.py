"""`relance pause|resume|exclude|readmit`: a run's life from the command line (a promise to pay, a dispute,
a customer excluded from dunning), through the same starter functions as the HTTP API (relance.api.runs,
relance.api.accounts)."""

from __future__ import annotations

import click

from relance.cli.common import DATE, connect, runs, who

COMMANDS: list[click.Command] = []


@runs(COMMANDS, "pause", help="pause an invoice's reminders until a date (a promise to pay, a dispute)")
@click.argument("org")
@click.argument("invoice")
@click.option("--until", required=True, type=DATE, help="YYYY-MM-DD, a year ahead at most")
@click.option("--reason", required=True, type=click.Choice(["promise_to_pay", "dispute"]))
@click.option("--note", default="")
@click.option("--by", default=who, help="who asks (the run's timeline records it)")
async def pause(settings, args, with_db, say) -> int:
    from relance import calendar, repository
    from relance.dunning.types import PauseRequest
    from starter.dunning import pause_reminders

    client = await connect(settings)
    answer = await with_db(settings, lambda db: pause_reminders(client, db, args.org, args.invoice, PauseRequest(
        args.until.isoformat(), args.reason, args.by, args.note)))
    tz = await with_db(settings, lambda db: repository.zone(db, args.org))
    say(f"invoice {args.invoice}: reminders paused ({args.reason}) until {calendar.written(answer.paused_until, tz)}; "
        f"the next one goes {calendar.written(answer.resumes_at, tz)}")
    return 0


@runs(COMMANDS, "resume", help="end the pause of an invoice's reminders now (a dispute resolved)")
@click.argument("org")
@click.argument("invoice")
@click.option("--note", default="")
@click.option("--by", default=who)
async def resume(settings, args, with_db, say) -> int:
    from relance import calendar, repository
    from relance.dunning.types import ResumeRequest
    from starter.dunning import resume_reminders

    client = await connect(settings)
    status = await with_db(settings, lambda db: resume_reminders(client, db, args.org, args.invoice,
                                                                 ResumeRequest(args.by, args.note)))
    tz = await with_db(settings, lambda db: repository.zone(db, args.org))
    say(f"invoice {args.invoice}: reminders resumed by {args.by}; the run is {status.state}"
        + (f", next at {calendar.written(status.next_at, tz)}" if status.next_at else ""))
    return 0


@runs(COMMANDS, "exclude", help="exclude an account from dunning: its runs hold, recorded with why")
@click.argument("org")
@click.argument("account")
@click.option("--reason", required=True)
async def exclude(settings, args, with_db, say) -> int:
    from starter.dunning import exclude_account

    client = await connect(settings)
    await with_db(settings, lambda db: exclude_account(client, db, args.org, args.account, args.reason))
    say(f"account {args.account} excluded from dunning ({args.reason}): its runs hold at their next step")
    return 0


@runs(COMMANDS, "readmit", help="lift an account's exclusion: its held runs go on where they were")
@click.argument("org")
@click.argument("account")
async def readmit(settings, args, with_db, say) -> int:
    from starter.dunning import exclude_account

    client = await connect(settings)
    woken = await with_db(settings, lambda db: exclude_account(client, db, args.org, args.account, None))
    say(f"account {args.account} readmitted to dunning; {woken} held run(s) resumed")
    return 0

