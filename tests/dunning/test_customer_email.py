"""One email per customer: an account's reminders due the same day go as one email, each invoice
re-checked just before it (a paid one dropped), nothing sent when none is left."""

from datetime import timedelta
from decimal import Decimal

from models import EmailLedgerEntry
from relance.dunning.customer import ledger_key
from relance.dunning.ids import customer_workflow_id
from relance.dunning.types import ExitReason
from starter.dunning import record_payment
from tests import factories as f

NUMBERS = ("F-1", "F-2", "F-3")


def grouped_org(stack, due: str):
    """Three invoices of customer C1, due the same day, on a one-reminder scenario (10 days after the due date)."""
    return stack.org(f.ONE_REMINDER, dunning={"one_email_per_customer": True},
                     invoices=[f.invoice(number, due=due, amount_excl_tax=amount, amount_incl_tax=amount)
                               for number, amount in zip(NUMBERS, ("100.00", "200.00", "300.00"), strict=True)])


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
    customer = stack.client.get_workflow_handle(customer_workflow_id(stack.slug, "C1"))

    async def all_pending():
        try:
            return len(await customer.query("pending")) == 3
        except Exception:  # not started yet
            return False

    await stack.advance_until(all_pending, step=timedelta(seconds=30))
    today = await stack.today()
    for number, amount in zip(NUMBERS, ("100.00", "200.00", "300.00"), strict=True):
        await record_payment(stack.client, stack.db, stack.slug, number, Decimal(amount), f"VIR-{number}", today)
    results = [await handle.result() for handle in handles]
    assert [r.reason for r in results] == [ExitReason.PAID] * 3
    assert stack.sent() == []
    for number in NUMBERS:
        assert await stack.emails(number) == []
