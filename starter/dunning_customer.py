"""Per-customer dunning as the host application and the CLI call it: an account's scenario and tags,
the assignment rules, the customer statement (rendered, or sent now through the one send path)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from relance.db import Database
from relance.dunning import statement as statements
from relance.dunning.customer_settings import (
    AccountDunning,
    AccountDunningChange,
    ScenarioRules,
    change_account,
    change_rules,
    read_rules,
)
from relance.email.mailer import SesMailer
from relance.email.sending import SendResult

__all__ = ["AccountDunning", "AccountDunningChange", "ScenarioRules", "change_account", "change_rules", "read_rules",
           "send_statement", "statement"]


async def statement(db: Database, mailer: SesMailer, org_slug: str, account_ref: str) -> statements.Statement:
    """The account's open invoices as the statement lists them, nothing sent."""
    async with db.session() as session:
        return await statements.build(session, mailer, org_slug, account_ref, datetime.now(UTC))


async def send_statement(db: Database, mailer: SesMailer, org_slug: str, account_ref: str,
                         request_key: str | None = None) -> tuple[statements.Statement, SendResult]:
    """Send it now; `request_key` (the API's Idempotency-Key) makes a retried request send it once."""
    return await statements.send(db, mailer, org_slug, account_ref, datetime.now(UTC),
                                 request_key or uuid.uuid4().hex)
