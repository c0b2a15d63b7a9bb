"""One email per customer: an account's reminders due the same day go as one email, each invoice
re-checked just before it (a paid one dropped), nothing sent when none is left."""

import os
import re
from datetime import timedelta
from decimal import Decimal
from email import message_from_string, policy
from zoneinfo import ZoneInfo

from models import EmailLedgerEntry
from relance import limits
from relance.documents.library import NewDocument
from relance.dunning.customer import ledger_key
from relance.dunning.ids import customer_workflow_id
from relance.dunning.pausing import PauseRequest
from relance.dunning.types import ExitReason
from starter import documents
from starter.dunning import exclude_account, pause_reminders, record_payment
from tests import factories as f
from tests.documents.conftest import PDF, docx
from tests.test_cli import relance

NUMBERS = ("F-1", "F-2", "F-3")


def grouped_org(stack, due: str, steps=f.ONE_REMINDER, numbers=NUMBERS, **fields):
    """Invoices of customer C1, due the same day, on a one-reminder scenario (10 days after the due date)."""
    return stack.org(steps, dunning={"one_email_per_customer": True},
                     invoices=[f.invoice(number, due=due, amount_excl_tax=amount, amount_incl_tax=amount,
                                         **fields.get(number, {}))
                               for number, amount in zip(numbers, ("100.00", "200.00", "300.00"), strict=False)])


async def handed_over(stack, count: int):
    """Time skipped until `count` steps wait in the customer's workflow (inside its gathering wait)."""
    customer = stack.client.get_workflow_handle(customer_workflow_id(stack.slug, "C1"))

    async def pending():
        try:
            return len(await customer.query("pending")) == count
        except Exception:  # not started yet
            return False

    await stack.advance_until(pending, step=timedelta(seconds=30))


async def test_three_invoices_one_paid_the_day_before_go_as_one_email_listing_two(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(grouped_org(stack, "today-5"))  # the reminder is due in 5 days
    reminder_day = await stack.today() + timedelta(days=5)
    handles = [await stack.start(number) for number in NUMBERS]
    await stack.env.sleep(timedelta(days=4))
    await record_payment(stack.client, stack.db, stack.slug, "F-2", Decimal("200.00"), "VIR-2", await stack.today())
    results = [await handle.result() for handle in handles]

    assert [r.reason for r in results] == [ExitReason.COMPLETED, ExitReason.PAID, ExitReason.COMPLETED]
    [message] = stack.sent()
    assert message["destinations"]["to"] == ["billing@dupont.example.org"]
    assert message["subject"] == "Relance : 2 facture(s) en attente de règlement"
    assert "F-1" in message["body"] and "F-3" in message["body"] and "F-2" not in message["body"]
    assert "Total dû : 400,00\xa0€" in message["body"]
    assert message["body"].index("F-1") < message["body"].index("F-3")
    key = ledger_key(customer_workflow_id(stack.slug, "C1"), reminder_day.isoformat())
    for number in ("F-1", "F-3"):
        [sent] = await stack.emails(number)
        assert sent.provider_message_id == message["message_id"]
        assert sent.reason == f"in the customer's email {key} (F-1, F-3)"
    assert await stack.emails("F-2") == []
    async with stack.db.session() as session:
        row = await session.get(EmailLedgerEntry, key)
    assert (row.state, row.provider_message_id) == ("sent", message["message_id"])


async def test_nothing_goes_when_every_invoice_is_paid_before_the_email(stack):
    """The steps reached the customer's workflow; the invoices are paid while it gathers them: its
    re-check drops them all, nothing is sent, each run ends paid."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(grouped_org(stack, "today-20"))  # the reminder is due now
    handles = [await stack.start(number) for number in NUMBERS]
    await handed_over(stack, 3)
    today = await stack.today()
    for number, amount in zip(NUMBERS, ("100.00", "200.00", "300.00"), strict=True):
        await record_payment(stack.client, stack.db, stack.slug, number, Decimal(amount), f"VIR-{number}", today)
    results = [await handle.result() for handle in handles]
    assert [r.reason for r in results] == [ExitReason.PAID] * 3
    assert stack.sent() == []
    for number in NUMBERS:
        assert await stack.emails(number) == []


ATTACHING = [{**f.ONE_REMINDER[0], "attach_invoice": True}]


async def test_the_grouped_email_attaches_each_invoices_document_and_links_its_payment_page(stack, settings):
    await stack.mailer.verify(f.SENDER)
    urls = {"F-1": "https://pay.example.com/F-1?t=a&b=1", "F-2": "https://pay.example.com/F-2"}
    await stack.load(grouped_org(stack, "today-20", ATTACHING, ("F-1", "F-2"),
                                 **{n: {"payment_url": u} for n, u in urls.items()}))
    contract = docx()
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(PDF, "Facture F-1.pdf", "F-1"))
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(contract, "contrat F-2", "F-2"))
    handles = [await stack.start(number) for number in ("F-1", "F-2")]
    results = [await handle.result() for handle in handles]

    assert [r.reason for r in results] == [ExitReason.COMPLETED] * 2
    [message] = stack.sent()
    mime = message_from_string(message["raw"], policy=policy.default)
    assert [(p.get_filename(), p.get_content()) for p in mime.iter_attachments()] == [
        ("Facture F-1.pdf", PDF), ("contrat F-2.docx", contract)]
    assert f"reste dû 100,00\xa0€ (total 100,00\xa0€) ; payer en ligne : {urls['F-1']}" in message["text"]
    assert f"payer en ligne : {urls['F-2']}" in message["text"]
    assert '<a href="https://pay.example.com/F-1?t=a&amp;b=1">' in message["html"]
    assert f'<a href="{urls["F-2"]}">' in message["html"]
    assert "Non joints" not in message["text"]
    shown = (await relance({**os.environ, "RELANCE_DATABASE_URL": settings.database_url,
                            "RELANCE_SES_ENDPOINT": stack.ses_endpoint}, "mail", "--show", "1")).stdout
    print(shown)  # the closing note's example
    assert f"  attachment: Facture F-1.pdf (application/pdf, {len(PDF):,} bytes)" in shown
    assert "  attachment: contrat F-2.docx (application/vnd.openxmlformats-officedocument" in shown


async def test_documents_over_the_limit_of_one_email_are_named_not_attached(stack, settings, monkeypatch):
    await stack.mailer.verify(f.SENDER)
    await stack.load(grouped_org(stack, "today-20", ATTACHING, ("F-1", "F-2")))
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(PDF, "f1.pdf", "F-1"))
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(PDF + b" ", "f2.pdf", "F-2"))
    monkeypatch.setattr(limits, "MAX_ATTACHMENTS_BYTES", len(PDF) + 1)  # one invoice's documents fit, not two
    handles = [await stack.start(number) for number in ("F-1", "F-2")]
    for handle in handles:
        await handle.result()

    [message] = stack.sent()
    assert [p["filename"] for p in message["attachments"]] == ["f1.pdf"]
    assert "Non joints (l'e-mail dépasserait 0 Mo), à nous demander si besoin : F-2" in message["text"]


def _pause(until, reason="promise_to_pay") -> PauseRequest:
    return PauseRequest(until.isoformat(), reason, "claire", "virement annoncé")


async def test_a_pause_arriving_while_the_step_is_handed_over_leaves_the_invoice_out(stack):
    """F-2's step waits in the customer's workflow when its customer promises to pay it: the day's email
    lists F-1 and F-3 only; F-2's run follows its pause and its one step goes when the pause ends."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(grouped_org(stack, "today-20"))
    handles = [await stack.start(number) for number in NUMBERS]
    await handed_over(stack, 3)
    until = await stack.today() + timedelta(days=5)
    await pause_reminders(stack.client, stack.db, stack.slug, "F-2", _pause(until))
    results = [await handle.result() for handle in handles]

    assert [r.reason for r in results] == [ExitReason.COMPLETED] * 3
    first, second = stack.sent()
    assert "F-1" in first["body"] and "F-3" in first["body"] and "F-2" not in first["body"]
    assert "F-2" in second["body"] and "F-1" not in second["body"]
    [sent] = await stack.emails("F-2")
    assert sent.occurred_at.astimezone(ZoneInfo("Europe/Paris")).date() == until
    assert sent.provider_message_id == second["message_id"]


async def test_an_exclusion_arriving_while_the_steps_are_handed_over_sends_nothing_until_lifted(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(grouped_org(stack, "today-20", numbers=("F-1", "F-2")))
    handles = [await stack.start(number) for number in ("F-1", "F-2")]
    await handed_over(stack, 2)
    await exclude_account(stack.client, stack.db, stack.slug, "C1", "litige commercial")
    await stack.env.sleep(timedelta(days=2))
    assert stack.sent() == []
    holds = [e for e in await stack.timeline("F-1") if e.kind == "hold"]
    assert [h.reason for h in holds] == ["customer excluded from dunning (litige commercial)"]

    assert await exclude_account(stack.client, stack.db, stack.slug, "C1", None) == 2
    assert [(await h.result()).reason for h in handles] == [ExitReason.COMPLETED] * 2
    [message] = stack.sent()
    assert "F-1" in message["body"] and "F-2" in message["body"]


async def test_an_english_customer_reads_the_grouped_email_in_english_with_its_links(stack):
    await stack.mailer.verify(f.SENDER)
    organisation = grouped_org(stack, "today-20", numbers=("F-1", "F-2"),
                               **{"F-2": {"payment_url": "https://pay.example.com/F-2"}})
    organisation["accounts"] = [{**f.BASE_ORG["accounts"][0], "language": "en"}]
    await stack.load(organisation)
    for handle in [await stack.start(number) for number in ("F-1", "F-2")]:
        await handle.result()
    [message] = stack.sent()
    assert message["subject"] == "Reminder: 2 invoice(s) awaiting payment"
    assert re.search(r"- F-2 of \d\d/\d\d/\d{4}, due \d\d/\d\d/\d{4}: 200,00\xa0€ still due \(total 200,00\xa0€\); "
                     r"pay online: https://pay\.example\.com/F-2\r?\n", message["text"])
    assert "Total due: 300,00\xa0€" in message["text"]  # amounts as an English reader in France reads them
