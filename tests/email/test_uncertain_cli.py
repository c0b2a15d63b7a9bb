"""`relance uncertain`: what is still only at most once, where ops look, with SES's answer for each and a
command that records it."""

from datetime import UTC, datetime

from models import EmailLedgerEntry, EmailState, Organisation
from relance.email import ledger
from relance.email.mailer import OutgoingEmail
from relance.local import ses as local_ses
from tests.test_cli import relance


async def test_uncertain_lists_each_send_with_what_ses_says_and_settle_records_it(dev_stack, db, mailer, settings):
    _, _, env = dev_stack
    local_ses.provision_events(settings.ses_endpoint, settings.ses_configuration_set)
    await mailer.verify("compta@example.com")
    async with db.session() as session:
        org = Organisation(slug="ops", name="Ops SARL")
        session.add(org)
        await session.flush()
        for number in ("F-1", "F-2"):  # runs that ended (here: never existed) with their send uncertain
            key = f"dunning:ops:{number}:0:email"
            session.add(EmailLedgerEntry(idem_key=key, org_id=org.id, workflow_id=f"dunning:ops:{number}",
                                         about_kind="invoice", about_ref=number, state=EmailState.UNCERTAIN,
                                         recipient="ann@x.example.org", send_tag=ledger.send_tag(key),
                                         claimed_at=datetime(2026, 11, 24, tzinfo=UTC)))
    # SES took F-1's message before its worker died.
    message_id = await mailer.send(OutgoingEmail("compta@example.com", "Claire", "ann@x.example.org", "Facture F-1",
                                                 "t", "h"), ledger.send_tag("dunning:ops:F-1:0:email"))

    listed = await relance(env, "uncertain")
    assert listed.returncode == 0, listed.stderr
    f1, f2 = (line for line in listed.stdout.splitlines() if line.startswith("dunning:ops:"))
    assert f"SES took it (Send, {message_id})" in f1 and "never reached SES" in f2
    assert "2 send(s) uncertain" in listed.stdout

    settled = await relance(env, "uncertain", "--settle")
    assert "2 settled" in settled.stdout, settled.stderr
    async with db.session() as session:
        rows = {r.about_ref: r for r in (await session.exec(
            EmailLedgerEntry.__table__.select().where(EmailLedgerEntry.org_id == org.id))).all()}
    assert (rows["F-1"].state, rows["F-1"].provider_message_id) == (EmailState.SENT, message_id)
    assert (rows["F-2"].state, rows["F-2"].reason) == (EmailState.NOT_SENT, "no SES event: never reached SES")
