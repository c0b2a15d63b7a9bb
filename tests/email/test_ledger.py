"""The send-once ledger: one row per email key, claimed before the provider is called, confirmed with
its message id, released when the provider refused it, uncertain (never resent) when a worker died in
between; and tasks created once per key. Against the real PostgreSQL and the local SES endpoint."""

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from models import About, EmailLedgerEntry, Organisation, Task
from relance.email import ledger
from relance.email.mailer import OutgoingEmail, SenderNotVerified
from relance.email.sending import SendStatus, send_once
from relance.local import ses as local_ses
from relance.tasks import create_task_once

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
SENDER = "compta@example.com"


@pytest.fixture
async def org_id(db, clean, mailer):
    await mailer.verify(SENDER)
    async with db.session() as session:
        org = Organisation(slug="ledger", name="Ledger SARL")
        session.add(org)
        await session.flush()
        return org.id


def email(to="ann@x.example.org") -> OutgoingEmail:
    return OutgoingEmail(sender_address=SENDER, sender_name="Claire", to=to, subject="Facture F-1", text="t", html="h")


def source(org_id: int) -> ledger.Source:
    return ledger.Source(org_id, "dunning:ledger:F-1", About("invoice", "F-1"))


async def row(db, key: str) -> EmailLedgerEntry | None:
    async with db.session() as session:
        return await session.get(EmailLedgerEntry, key)


class FlakyMailer:
    """The real mailer, but the first sends fail the given way before SES is reached."""

    def __init__(self, real, *failures: Exception):
        self.real, self.failures = real, list(failures)

    async def send(self, message: OutgoingEmail, tag: str | None = None) -> str:
        if self.failures:
            raise self.failures.pop(0)
        return await self.real.send(message, tag)


async def test_a_key_claimed_twice_gives_the_second_caller_the_first_outcome(db, org_id):
    async with db.autocommit() as session:
        first = await ledger.claim(session, "k", source(org_id), NOW, recipient="ann@x.example.org")
        await ledger.confirm(session, "k", "msg-1", NOW)
        second = await ledger.claim(session, "k", source(org_id), NOW, recipient="bob@x.example.org")
    assert first.fresh and first.state == "claimed"
    assert (second.fresh, second.state, second.recipient, second.provider_message_id) == (
        False, "sent", "ann@x.example.org", "msg-1")


async def test_a_claim_left_unsettled_becomes_uncertain_and_is_never_resent(db, mailer, ses_endpoint, org_id):
    async with db.autocommit() as session:
        await ledger.claim(session, "k", source(org_id), NOW)  # a worker died after this, maybe after SES
    result = await send_once(db, mailer, "k", email(), source(org_id), NOW)
    assert (result.status, result.reason, result.fresh) == (SendStatus.UNCERTAIN, "delivery_uncertain", False)
    assert local_ses.sent_messages(ses_endpoint) == []
    again = await send_once(db, mailer, "k", email(), source(org_id), NOW)
    assert again.status == SendStatus.UNCERTAIN and local_ses.sent_messages(ses_endpoint) == []
    assert (await row(db, "k")).state == "uncertain"


async def test_a_failed_send_releases_the_claim_so_the_retry_sends_once(db, mailer, ses_endpoint, org_id):
    flaky = FlakyMailer(mailer, ConnectionError("SES unreachable"))
    with pytest.raises(ConnectionError):
        await send_once(db, flaky, "k", email(), source(org_id), NOW)
    assert await row(db, "k") is None
    sent = await send_once(db, flaky, "k", email(), source(org_id), NOW)
    retried = await send_once(db, flaky, "k", email(), source(org_id), NOW)
    assert (sent.status, sent.fresh) == (SendStatus.SENT, True)
    assert (retried.status, retried.fresh, retried.message_id) == (SendStatus.SENT, False, sent.message_id)
    assert len(local_ses.sent_messages(ses_endpoint)) == 1


async def test_a_refused_sender_releases_the_claim_and_says_so(db, mailer, ses_endpoint, org_id):
    flaky = FlakyMailer(mailer, SenderNotVerified(SENDER))
    refused = await send_once(db, flaky, "k", email(), source(org_id), NOW)
    assert refused.status == SendStatus.SENDER_REFUSED and await row(db, "k") is None
    assert (await send_once(db, flaky, "k", email(), source(org_id), NOW)).status == SendStatus.SENT


async def test_a_confirmed_send_keeps_the_provider_message_id(db, mailer, ses_endpoint, org_id):
    result = await send_once(db, mailer, "k", email(), source(org_id), NOW)
    [message] = local_ses.sent_messages(ses_endpoint)
    entry = await row(db, "k")
    assert result.message_id == message["message_id"] == entry.provider_message_id
    assert (entry.state, entry.recipient, entry.sender, entry.subject) == (
        "sent", "ann@x.example.org", SENDER, "Facture F-1")
    assert (entry.about_kind, entry.about_ref, entry.claimed_at, entry.settled_at) == ("invoice", "F-1", NOW, NOW)


async def test_an_email_recorded_as_not_sent_is_never_sent_on_a_retry(db, mailer, ses_endpoint, org_id):
    async with db.autocommit() as session:
        recorded = await ledger.record_not_sent(session, "k", source(org_id), "no_recipient", NOW)
    result = await send_once(db, mailer, "k", email(), source(org_id), NOW)
    assert recorded.fresh and (result.status, result.reason) == (SendStatus.NOT_SENT, "no_recipient")
    assert local_ses.sent_messages(ses_endpoint) == []


async def test_a_task_created_twice_is_one_row(db, org_id):
    async with db.autocommit() as session:
        created = [await create_task_once(session, "t", About("contract", "CT-7"), org_id=org_id, title="Appeler",
                                          due_on=date(2026, 12, 1), assignee_user_id=None, workflow_id="w", now=NOW)
                   for _ in range(2)]
        tasks = (await session.exec(select(Task))).all()
    assert created == [True, False]
    assert [(t.about_kind, t.about_ref, t.title) for t in tasks] == [("contract", "CT-7", "Appeler")]


def test_no_module_but_the_sender_hands_an_email_to_ses():
    """Only relance/email/sending.py calls SesMailer.send, and only the mailer calls SES's send_raw_email
    (the local endpoint's own server, which publishes SES's events, is not a caller)."""
    callers = []
    for path in sorted(ROOT.glob("**/*.py")):
        relative = path.relative_to(ROOT)
        endpoint = relative == Path("relance/local/ses_server.py")
        if relative.parts[0] in (".venv", "tests") or "site-packages" in relative.parts or endpoint:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            to_mailer = node.attr == "send" and "mailer" in ast.unparse(node.value).lower()
            if to_mailer or node.attr in ("send_email", "send_raw_email"):
                callers.append(f"{relative} {ast.unparse(node)}")
    assert callers == ["relance/email/mailer.py self._client.send_raw_email", "relance/email/sending.py mailer.send"]
