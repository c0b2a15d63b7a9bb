"""`relance outbox user add` as a person types it: the account signs in with the password it was given."""

from __future__ import annotations

import asyncio
import os
import subprocess
from datetime import UTC, datetime

from relance import staff
from tests import cli_fork
from tests.outbox.conftest import PASSWORD


async def relance(settings, *args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "RELANCE_DATABASE_URL": settings.database_url}
    return await asyncio.to_thread(cli_fork.run, list(args), env, input=stdin)


async def test_an_account_made_on_the_command_line_signs_in_and_a_second_one_is_refused(outbox, settings):
    slug = outbox.stack.slug
    made = await relance(settings, "outbox", "user", "add", slug, "Ana@Agency.example", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "staff account ana@agency.example" in made.stdout and "/outbox/" in made.stdout
    signed = await staff.sign_in_with_password(outbox.stack.db, "ana@agency.example", PASSWORD, datetime.now(UTC))
    assert signed.account is not None
    again = await relance(settings, "outbox", "user", "add", slug, "ana@agency.example", "--link-only")
    assert again.returncode == 2
    assert again.stderr.strip() == "relance outbox: staff account: email ana@agency.example already has an account"
    unknown = await relance(settings, "outbox", "user", "add", "no-such-org", "bob@agency.example", "--link-only")
    assert unknown.returncode != 0 and "organisation 'no-such-org' not found" in unknown.stderr
