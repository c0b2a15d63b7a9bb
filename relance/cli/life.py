"""`relance pause|resume|exclude|readmit`: a run's life from the command line (a promise to pay, a dispute,
a customer excluded from dunning), through the same starter functions as the HTTP API (relance.api.runs,
relance.api.accounts)."""

from __future__ import annotations

import os
from datetime import date

from relance.config import Settings
from relance.temporal.client import connect


def add_parsers(sub) -> None:
    who = os.environ.get("USER", "cli")
    pause = sub.add_parser("pause", help="pause an invoice's reminders until a date (a promise to pay, a dispute)")
    pause.add_argument("org")
    pause.add_argument("invoice")
    pause.add_argument("--until", required=True, type=date.fromisoformat, help="YYYY-MM-DD, a year ahead at most")
    pause.add_argument("--reason", required=True, choices=["promise_to_pay", "dispute"])
    pause.add_argument("--note", default="")
    pause.add_argument("--by", default=who, help="who asks (the run's timeline records it)")
    resume = sub.add_parser("resume", help="end the pause of an invoice's reminders now (a dispute resolved)")
    resume.add_argument("org")
    resume.add_argument("invoice")
    resume.add_argument("--note", default="")
    resume.add_argument("--by", default=who)
    exclude = sub.add_parser("exclude", help="exclude an account from dunning: its runs hold, recorded with why")
    exclude.add_argument("org")
    exclude.add_argument("account")
    exclude.add_argument("--reason", required=True)
    readmit = sub.add_parser("readmit", help="lift an account's exclusion: its held runs go on where they were")
    readmit.add_argument("org")
    readmit.add_argument("account")


async def pause(settings: Settings, args, with_db, say) -> int:
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


async def resume(settings: Settings, args, with_db, say) -> int:
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


async def exclude(settings: Settings, args, with_db, say) -> int:
    from starter.dunning import exclude_account

    client = await connect(settings)
    await with_db(settings, lambda db: exclude_account(client, db, args.org, args.account, args.reason))
    say(f"account {args.account} excluded from dunning ({args.reason}): its runs hold at their next step")
    return 0


async def readmit(settings: Settings, args, with_db, say) -> int:
    from starter.dunning import exclude_account

    client = await connect(settings)
    woken = await with_db(settings, lambda db: exclude_account(client, db, args.org, args.account, None))
    say(f"account {args.account} readmitted to dunning; {woken} held run(s) resumed")
    return 0


COMMANDS = {"pause": pause, "resume": resume, "exclude": exclude, "readmit": readmit}
