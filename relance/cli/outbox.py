"""`relance outbox user add ORG EMAIL`: a staff account for the agency outbox (relance.web). The
password is asked twice at a terminal, read from the first line of stdin otherwise, or left out
with --link-only (the person then signs in with a link sent by email)."""

from __future__ import annotations

import getpass
import sys

import click

from relance.cli.common import group, runs

DEMO_ORGANISATION = "demo"
# The demo's staff sign in with this (local stack only; printed by `relance up`).
DEMO_PASSWORD = "demo-outbox"


outbox = group("outbox", help="the agency outbox's staff accounts (sign-in at /outbox)")
users = group("user", help="staff accounts", parent=outbox)
COMMANDS = [outbox]


@runs(users, "add", help="a staff account; it sees the agencies listing its email as staff")
@click.argument("org")
@click.argument("email")
@click.option("--link-only", is_flag=True, help="no password: signs in with a link sent by email")
async def add_user(settings, args, with_db, say) -> int:
    from relance import staff

    password = None if args.link_only else _password()
    try:
        account = await with_db(settings, lambda db: staff.create_account(db, args.org, args.email, password))
    except staff.StaffError as refusal:
        print(f"relance outbox: {refusal}", file=sys.stderr)
        return 2
    how = "a sign-in link by email" if password is None else "its password or a sign-in link by email"
    say(f"staff account {account.email} ({args.org}) made: it signs in at "
        f"{settings.public_base_url}/outbox/ with {how}")
    return 0


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ: nothing was made")
    return first


async def demo_accounts(settings, db, say) -> None:
    """`relance up`: an account for each staff member of the demo's agencies, and how to sign in."""
    from sqlmodel import select

    from models import Agency, AgencyStaff, Organisation
    from relance import staff

    async with db.session() as session:
        rows = (await session.exec(
            select(AgencyStaff.email, Agency.name).join(Agency, Agency.id == AgencyStaff.agency_id)
            .join(Organisation, Organisation.id == AgencyStaff.org_id)
            .where(Organisation.slug == DEMO_ORGANISATION).order_by(Agency.name, AgencyStaff.email))).all()
    if not rows:
        return
    say(f"\n  Outbox        {settings.public_base_url}/outbox/   (the agencies' drafts, in a browser)")
    agencies: dict[str, list[str]] = {}
    for email, agency in rows:
        agencies.setdefault(email, []).append(agency)
    for email, names in agencies.items():
        await staff.ensure_account(db, DEMO_ORGANISATION, email, DEMO_PASSWORD)
        say(f"    sign in as {email}, password {DEMO_PASSWORD}   ({', '.join(names)})")
