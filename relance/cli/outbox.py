"""`relance outbox user add ORG EMAIL`: a staff account for the agency outbox (relance.web). The
password is asked twice at a terminal, read from the first line of stdin otherwise, or left out
with --link-only (the person then signs in with a link sent by email)."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlmodel import select

from models import Agency, AgencyStaff, Organisation
from relance import staff
from relance.config import Settings
from relance.db import Database

DEMO_ORGANISATION = "demo"
# The demo's staff sign in with this (local stack only; printed by `relance up`).
DEMO_PASSWORD = "demo-outbox"


def add_parser(sub) -> None:
    outbox = sub.add_parser("outbox", help="the agency outbox's staff accounts (sign-in at /outbox)")
    commands = outbox.add_subparsers(dest="outbox_command", required=True)
    users = commands.add_parser("user", help="staff accounts").add_subparsers(dest="user_command", required=True)
    add = users.add_parser("add", help="a staff account; it sees the agencies listing its email as staff")
    add.add_argument("org", help="organisation slug")
    add.add_argument("email")
    add.add_argument("--link-only", action="store_true", help="no password: signs in with a link sent by email")


async def run(settings: Settings, args: argparse.Namespace, with_db, say) -> int:
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


async def demo_accounts(settings: Settings, db: Database, say) -> None:
    """`relance up`: an account for each staff member of the demo's agencies, and how to sign in."""
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
