"""What each step sends, to whom, when: the recipient chain, amounts, send windows, timing."""

import time as wallclock
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio import activity

from activities.dunning import DunningActivities
from models import DunningRun, EmailLedgerEntry
from relance.dunning.types import ExitReason, StepInput
from relance.local import ses as local_ses
from relance.scenario.plan import RunState, StepOutcome
from starter.dunning import invoice_created, record_payment, set_dunning_activation
from tests import factories as f
from worker import build_worker
from workflows.dunning import InvoiceDunningWorkflow

PARIS = ZoneInfo("Europe/Paris")


def contact(ref, email=None, **flags):
    return {"ref": ref, "civility": "Mme", "first_name": "Ann", "last_name": ref, "email": email, **flags}


@pytest.mark.parametrize(
    ("account", "invoice_contact", "expected"),
    [
        ({"email": "acc@x.example.org", "contacts": [contact("B", "b@x.example.org", billing=True),
                                                     contact("K", "k@x.example.org")]}, "K", "k@x.example.org"),
        ({"email": "acc@x.example.org", "contacts": [contact("B", "b@x.example.org", billing=True),
                                                     contact("D", "d@x.example.org", decision_maker=True)]},
         None, "b@x.example.org"),
        ({"email": "acc@x.example.org", "contacts": [contact("B", None, billing=True),
                                                     contact("D", "d@x.example.org", decision_maker=True)]},
         None, "d@x.example.org"),
        ({"email": "acc@x.example.org", "contacts": [contact("B", None, billing=True),
                                                     contact("D", None, decision_maker=True)]},
         None, "acc@x.example.org"),
        ({"email": "acc@x.example.org", "contacts": [contact("K", None)]}, "K", "acc@x.example.org"),
    ],
    ids=["invoice-contact", "billing", "decision-maker", "account", "invoice-contact-without-address"],
)
async def test_recipient_chain(stack, account, invoice_contact, expected):
    await stack.mailer.verify(f.SENDER)
    accounts = [{"ref": "C1", "name": "Client", **account}]
    await stack.load(stack.org(f.ONE_REMINDER, accounts=accounts, invoices=[f.invoice(contact=invoice_contact)]))
    await (await stack.start()).result()
    [message] = stack.sent()
    assert message["destinations"]["to"] == [expected]


async def test_no_address_at_all_records_not_sent_and_run_goes_on(stack):
    await stack.mailer.verify(f.SENDER)
    accounts = [{"ref": "C1", "name": "Client", "contacts": [contact("B", None, billing=True)]}]
    steps = [*f.ONE_REMINDER, {"kind": "action", "label": "Appel", "task": {"title": "Appeler"}}]
    await stack.load(stack.org(steps, accounts=accounts, invoices=[f.invoice()]))
    result = await (await stack.start()).result()
    assert result.reason == ExitReason.COMPLETED
    assert stack.sent() == []
    [not_sent] = await stack.emails(outcome="not_sent")
    assert not_sent.reason == "no_recipient"
    assert [t.title for t in await stack.tasks()] == ["Appeler"]


async def test_partial_payment_email_states_what_is_still_due(stack):
    await stack.mailer.verify(f.SENDER)
    payment = {"ref": "VIR-1", "amount": "500.00", "paid_on": "today-2"}
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice(payments=[payment])]))
    result = await (await stack.start()).result()
    assert result.reason == ExitReason.COMPLETED
    [message] = stack.sent()
    assert "reste dû : 700,00\xa0€" in message["body"]
    assert "total 1\u202f200,00\xa0€" in message["body"]


async def test_payment_that_leaves_a_balance_keeps_the_run_going(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice()]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    due = await record_payment(stack.client, stack.db, stack.slug, "F-1", f.Decimal("200.00"), "P1",
                               (await stack.now()).date())
    assert due == f.Decimal("1000.00")
    result = await handle.result()
    assert result.reason == ExitReason.COMPLETED
    second = stack.sent()[1]
    assert "1\u202f000,00\xa0€" in second["body"]


async def test_step_falling_at_two_in_the_morning_goes_at_the_window_opening(stack):
    await stack.mailer.verify(f.SENDER)
    steps = [{"kind": "email", "label": "Tout de suite", "template": "first"}]  # due as soon as the run starts
    await stack.load(stack.org(steps, dunning={"send_window": ["09:00", "18:00"]}, invoices=[f.invoice()]))
    now = (await stack.now()).astimezone(PARIS)
    two_am = datetime.combine(now.date() + timedelta(days=1), time(2, 0), tzinfo=PARIS)
    await stack.env.sleep(two_am - now)
    handle = await stack.start()
    status = await stack.advance_until(lambda: _state(handle, RunState.WAITING), step=timedelta(seconds=1))
    assert status.next_at.astimezone(PARIS) == datetime.combine(two_am.date(), time(9, 0), tzinfo=PARIS)
    await handle.result()
    [sent] = await stack.emails()
    assert sent.occurred_at.astimezone(PARIS).replace(second=0, microsecond=0) == status.next_at.astimezone(PARIS)


async def test_step_three_days_before_due_date_with_apply_to_new_invoices(stack):
    await stack.mailer.verify(f.SENDER)
    steps = [{"kind": "email", "label": "Rappel", "offset_days": -3, "template": "rappel"}]
    today = await stack.today()
    due = today + timedelta(days=10)
    organisation = stack.org(steps, dunning={"apply_to_new_invoices": True, "send_window": ["09:00", "18:00"]},
                             invoices=[f.invoice(due=due)])
    await stack.load(organisation)
    handle = await invoice_created(stack.client, stack.db, stack.task_queue, stack.slug, "F-1")
    assert handle is not None
    await handle.result()
    [sent] = await stack.emails()
    local = sent.occurred_at.astimezone(PARIS)
    assert (local.date(), local.hour) == (due - timedelta(days=3), 9)
    assert "à échéance le " + due.strftime("%d/%m/%Y") in stack.sent()[0]["body"]


async def test_invoice_created_without_apply_to_new_starts_nothing(stack):
    await stack.load(stack.org(invoices=[f.invoice(due="today+10")]))
    assert await invoice_created(stack.client, stack.db, stack.task_queue, stack.slug, "F-1") is None


async def test_before_due_date_step_reached_after_due_date_is_skipped(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today-20")]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    events = await stack.timeline()
    assert [(e.step_position, e.kind, e.reason) for e in events[:2]] == [
        (0, "skip", "due_date_passed"), (1, "email", None)]
    # The UI labels each step's activity when it is scheduled, before anyone knows it will be skipped:
    # the label says what the activity does, the current details what it did.
    summaries = []
    async for event in handle.fetch_history_events():
        if event.activity_task_scheduled_event_attributes.activity_type.name == "execute_step":
            summaries += await stack.client.data_converter.decode([event.user_metadata.summary])
    assert summaries == ["Check the invoice, then step 1. Rappel (email)",
                         "Check the invoice, then step 2. Première relance (email)"]
    details = (await handle.query("__temporal_workflow_metadata")).current_details
    assert "Last: step **2. Première relance** sent" in details


async def test_activation_off_holds_runs_and_on_resumes_without_burst(stack):
    await stack.mailer.verify(f.SENDER)
    steps = [f.ONE_REMINDER[0], {"kind": "pause", "label": "Pause", "days": 20},
             {"kind": "email", "label": "Deuxième", "template": "second"}]
    await stack.load(stack.org(steps, dunning={"enabled": False}, invoices=[f.invoice(due="today-40")]))
    handle = await stack.start()
    await stack.advance_until(
        lambda: _state(handle, RunState.HELD), step=timedelta(minutes=10))
    await stack.env.sleep(timedelta(days=30))  # a month switched off: both steps' dates pass
    assert stack.sent() == []
    assert (await handle.query(InvoiceDunningWorkflow.status)).state == RunState.HELD
    told = await set_dunning_activation(stack.client, stack.db, stack.slug, True)
    assert told == 1
    await stack.advance_until(lambda: len(stack.sent()) == 1, step=timedelta(minutes=10))
    await stack.env.sleep(timedelta(days=10))
    assert len(stack.sent()) == 1, "the second reminder waits its 20 days after the first"
    result = await handle.result()
    assert result.emails_sent == 2
    first, second = await stack.emails()
    assert second.occurred_at - first.occurred_at >= timedelta(days=20)


async def test_email_activity_retried_after_ses_accepted_sends_nothing_more(stack):
    """A worker that dies after SES accepted the message (here: the activity fails after the real
    send) must not send it again on the retry."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    real = DunningActivities(stack.db, stack.mailer, stack.webhooks())

    @activity.defn(name="execute_step")
    async def execute_step_then_crash(inp: StepInput) -> StepOutcome:
        outcome = await real.execute_step(inp)
        if activity.info().attempt == 1:
            raise RuntimeError("worker lost after SES accepted the message")
        return outcome

    queue = stack.task_queue + "-crash"
    async with build_worker(stack.client, queue, stack.db, stack.mailer, {"execute_step": execute_step_then_crash}):
        handle = await replace(stack, task_queue=queue).start()
        result = await handle.result()
    assert result.reason == ExitReason.COMPLETED
    assert len(stack.sent()) == 1
    assert len(await stack.emails()) == 1


async def test_send_interrupted_before_ses_is_sent_once_after_the_reconciliation_window(stack, settings):
    """A claim left by a worker that died before SES had the message: uncertain on the timeline, then,
    no SES event having come within the window, sent once."""
    local_ses.provision_events(stack.ses_endpoint, settings.ses_configuration_set)
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, dunning={"enabled": False}, invoices=[f.invoice()]))
    handle = await stack.start()
    await stack.advance_until(lambda: _state(handle, RunState.HELD), step=timedelta(minutes=10))
    async with stack.db.session() as session:
        org_id = (await session.get(DunningRun, handle.id)).org_id
        session.add(EmailLedgerEntry(idem_key=f"{handle.id}:0:email", org_id=org_id, workflow_id=handle.id,
                                     about_kind="invoice", about_ref="F-1", state="claimed",
                                     recipient="billing@dupont.example.org", claimed_at=await stack.now()))
    await set_dunning_activation(stack.client, stack.db, stack.slug, True)
    result = await handle.result()
    assert result.reason == ExitReason.COMPLETED and result.emails_sent == 1
    assert len(stack.sent()) == 1
    [uncertain] = await stack.emails(outcome="uncertain")
    assert uncertain.reason == "delivery_uncertain"
    [sent] = await stack.emails()
    assert sent.reason == "resent_after_window" and sent.provider_message_id == stack.sent()[0]["message_id"]


async def test_invoice_creator_signs_when_the_organisation_says_so(stack):
    creator = "paul@example.com"
    await stack.mailer.verify(creator)
    users = [{"email": f.SENDER}, {"email": creator, "first_name": "Paul", "last_name": "Durand",
                                   "notify_on_reminder": True}]
    await stack.load(stack.org(f.ONE_REMINDER, users=users, dunning={"sender": "invoice_creator"},
                               invoices=[f.invoice(creator=creator)]))
    await (await stack.start()).result()
    [message] = stack.sent()
    assert message["source"] == "Paul Durand <paul@example.com>"
    assert message["destinations"]["bcc"] == [creator]  # told of every reminder sent in his name


async def test_query_and_current_details_say_what_the_run_waits_for(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(invoices=[f.invoice(due="today-20")]))
    handle = await stack.start()
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    status = await stack.advance_until(lambda: _state(handle, RunState.WAITING))
    assert (status.step_position, status.step_label) == (3, "Deuxième relance")
    assert status.next_at - await stack.now() > timedelta(days=19)
    details = await handle.query("__temporal_workflow_metadata")
    assert "Deuxième relance" in details.current_details and "until" in details.current_details
    keywords = await stack.keywords(handle)
    assert keywords["RelanceState"] == "waiting" and keywords["RelanceStep"] == "4. Deuxième relance"


async def test_whole_default_scenario_of_ninety_days(stack):
    await stack.mailer.verify(f.SENDER)
    today = await stack.today()
    due = today + timedelta(days=5)
    await stack.load(stack.org(dunning={"apply_to_new_invoices": True, "send_window": ["09:00", "18:00"]},
                               invoices=[f.invoice(due=due)]))
    started = wallclock.perf_counter()
    handle = await invoice_created(stack.client, stack.db, stack.task_queue, stack.slug, "F-1")
    result = await handle.result()
    elapsed = wallclock.perf_counter() - started
    print(f"\n90-day default scenario: {elapsed:.2f} s wall time")
    assert (result.reason, result.emails_sent, result.steps_done) == (ExitReason.COMPLETED, 3, 4)
    sent = [e.occurred_at.astimezone(PARIS) for e in await stack.emails()]
    assert [d.date() for d in sent] == [due - timedelta(days=3), due + timedelta(days=10), due + timedelta(days=30)]
    assert all(d.hour == 9 for d in sent)
    [task] = await stack.tasks()
    assert task.due_on == due + timedelta(days=90 + 7)
    assert [m["subject"] for m in stack.sent()] == ["Rappel facture F-1", "Facture F-1 impayée",
                                                    "Deuxième relance F-1"]


async def _state(handle, state):
    status = await handle.query(InvoiceDunningWorkflow.status)
    return status if status.state == state else None


async def test_an_email_rendering_too_big_is_recorded_not_sent_with_the_reason(stack):
    """A template small with its merge fields as codes (as checked at save) but huge with the invoice's
    own values: at send time it is stopped at the size limit and recorded not_sent, never an uncertain
    send or a timeout; the run goes on."""
    from sqlmodel import update

    from models import EmailTemplate

    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice("F-" + "1" * 150)]))
    cube = "{% for a in Number %}{% for b in Number %}{% for c in Number %}xxxxxxxxxx{% endfor %}{% endfor %}" \
           "{% endfor %}"
    async with stack.db.session() as session:
        await session.exec(update(EmailTemplate).where(EmailTemplate.key == "first").values(body=cube))
    result = await (await stack.start("F-" + "1" * 150)).result()
    assert result.reason == ExitReason.COMPLETED
    [event] = await stack.emails("F-" + "1" * 150, outcome="not_sent")
    assert event.reason == "template_error" and "renders more than 512 KB" in event.subject
    assert stack.sent() == []


async def test_an_email_rendering_too_long_is_recorded_not_sent_not_retried(stack):
    """Loops that print nothing over the invoice's own values run past the time limit at send time: the
    email is recorded not_sent (template_error) at once, never an uncertain send retried; the run goes on."""
    from sqlmodel import update

    from models import EmailTemplate

    await stack.mailer.verify(f.SENDER)
    number = "F-" + "1" * 150
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice(number)]))
    silent = "{% for a in Number %}{% for b in range(10000) %}{% for c in range(10000) %}{% endfor %}{% endfor %}" \
             "{% endfor %}"
    async with stack.db.session() as session:
        await session.exec(update(EmailTemplate).where(EmailTemplate.key == "first").values(body=silent))
    result = await (await stack.start(number)).result()
    assert result.reason == ExitReason.COMPLETED
    [event] = await stack.emails(number, outcome="not_sent")
    assert event.reason == "template_error" and "runs for more than 1 s" in event.subject
    assert stack.sent() == []
