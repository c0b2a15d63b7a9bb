"""`relance mail [--last N] [--show N]`: the emails the local SES endpoint accepted."""

from __future__ import annotations

import click

from relance.cli.common import runs
from relance.cli.output import say

COMMANDS: list[click.Command] = []


@runs(COMMANDS, "mail", help="list the emails the local SES endpoint accepted: when, from, to, subject")
@click.option("--last", type=int, default=50)
@click.option("--show", type=int, metavar="N",
              help="print email #N (as numbered in the list; -1 the last) with its body")
async def mail(settings, args, with_db, say_) -> int:
    """What the local SES endpoint accepted, with when each went (the ledger's time, in the sending
    organisation's zone), from, to, cc, bcc and subject; `--show N` prints one email's body."""
    from relance.local.ses import sent_messages

    messages = sent_messages(settings.ses_endpoint)
    sent_at = await with_db(settings, lambda db: _sent_times(db, [m["message_id"] for m in messages]))
    if args.show is not None:
        number = args.show + len(messages) + 1 if args.show < 0 else args.show
        if not 1 <= number <= len(messages):
            say(f"no email #{args.show}: the SES endpoint has {len(messages)} (see `relance mail`)")
            return 1
        m = messages[number - 1]
        say(_mail_line(number, m, sent_at))
        if m.get("list_unsubscribe"):
            say(f"  List-Unsubscribe: {m['list_unsubscribe']}")
        for attachment in m["attachments"]:
            say(f"  attachment: {attachment['filename']} ({attachment['content_type']}, "
                f"{len(attachment['data']):,} bytes)")
        say("")
        say(m["text"] if m["text"] is not None else _as_text(m["body"]))
        return 0
    shown = list(enumerate(messages, start=1))[-args.last:]
    for number, m in shown:
        say(_mail_line(number, m, sent_at))
    say(f"{len(shown)} of {len(messages)} email(s) accepted by the SES endpoint {settings.ses_endpoint}; "
        "`relance mail --show N` prints one")
    return 0


def _as_text(body: str) -> str:
    """The endpoint keeps only the HTML part of a SendEmail; ours is the text part escaped, so this
    gives the text back."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br>\n?", "\n", body))).strip()


def _mail_line(number: int, m: dict, sent_at: dict) -> str:
    when = sent_at.get(m["message_id"], "(not in this database)")
    copies = "".join(f"  {kind}: {', '.join(m['destinations'][kind])}" for kind in ("cc", "bcc")
                     if m["destinations"][kind])
    return f"#{number}  {when}  {m['source']}  →  {', '.join(m['destinations']['to'])}{copies}\n    {m['subject']}"


async def _sent_times(db, message_ids: list[str]) -> dict[str, str]:
    """message id -> when the ledger confirmed it, in its organisation's zone with the offset."""
    from sqlmodel import select

    from models import EmailLedgerEntry, Organisation
    from relance import calendar

    if not message_ids:
        return {}
    async with db.session() as session:
        rows = (await session.exec(
            select(EmailLedgerEntry.provider_message_id, EmailLedgerEntry.settled_at, Organisation.timezone)
            .join(Organisation, Organisation.id == EmailLedgerEntry.org_id)
            .where(EmailLedgerEntry.provider_message_id.in_(message_ids)))).all()
    return {mid: calendar.written(at, tz) for mid, at, tz in rows if at}
