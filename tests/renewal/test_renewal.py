"""Seed 000: each term of a contract gets its renewal notice once, on the right day, to the contract's
billing contact; monthly and settled contracts never; a missed day is caught up; nothing is silent."""

import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import select
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError

from activities.renewal import RenewalActivities
from models import Contract, EmailLedgerEntry, RenewalNotice
from relance.local import ses as local_ses
from relance.nightly import SweepRequest
from relance.renewal.ids import renewal_workflow_id
from relance.renewal.terms import add_months
from relance.renewal.types import NoticeAttempt, NoticeInput, NoticeOutcome, NoticeReason
from relance.scenario.plan import RunState
from starter.renewal import cancel_renewal_notice
from tests import factories as f
from worker import build_worker
from workflows.renewal import RenewalInspectionWorkflow, RenewalNoticeWorkflow

PARIS = ZoneInfo("Europe/Paris")
OFFICE_HOURS = {"send_window": ["09:00", "18:00"]}


async def inspect(stack):
    """One run of the nightly inspection. Time skipping stays off while it runs: it has no timer, and
    letting the test server skip would fast-forward the notices it starts."""
    handle = await stack.client.start_workflow(RenewalInspectionWorkflow.run, SweepRequest(stack.slug),
                                               id=f"inspection-{uuid.uuid4()}", task_queue=stack.task_queue)
    with stack.env.auto_time_skipping_disabled():
        return await handle.result()


async def nightly(stack, day: date, at: time = time(0, 30)):
    """The inspection of `day`, at 00:30 in Paris: UTC still says the day before, so a "today" taken
    in the wrong zone shows. Time goes forward to then, firing whatever timers fall before."""
    moment = datetime.combine(day, at, tzinfo=PARIS)
    if moment > await stack.now():
        await stack.env.sleep(moment - await stack.now())
    return await inspect(stack)


async def notices(stack) -> list[RenewalNotice]:
    async with stack.db.session() as session:
        rows = await session.exec(select(RenewalNotice).order_by(RenewalNotice.term_end, RenewalNotice.workflow_id))
        return list(rows.all())


async def recorded(stack, count: int) -> list:
    """Handles of the first `count` notices, once their workflows have recorded them."""
    async def enough():
        rows = await notices(stack)
        return rows if len(rows) >= count else None
    rows = await stack.advance_until(enough, step=timedelta(seconds=1))
    return [stack.client.get_workflow_handle(row.workflow_id) for row in rows]


async def until_ended(stack, count: int = 1) -> list[RenewalNotice]:
    async def ended():
        rows = await notices(stack)
        return rows if len([r for r in rows if r.ended_at]) >= count else None
    return await stack.advance_until(ended, step=timedelta(minutes=10))


def term_ending(earliest: date) -> tuple[date, date]:
    """(start, end) of a quarterly term ending on the first day >= earliest whose day of month exists
    three months before, so the term is exactly start + 3 months."""
    end = earliest
    while end.day > 28:
        end += timedelta(days=1)
    return add_months(end, -3), end


async def test_monthly_and_settled_contracts_are_never_notified(stack):
    await stack.mailer.verify(f.SENDER)
    contracts = [f.contract("CT-M", "today-25", "monthly"), f.contract("CT-S", "today-85", status="settled"),
                 f.contract("CT-Q", "today-85")]
    await stack.load(stack.org(renewals=f.RENEWALS, contracts=contracts))
    today = await stack.today()
    started = [(await nightly(stack, today + timedelta(days=n))).started for n in range(1, 36)]
    assert sum(started) == 1
    [notice] = await until_ended(stack)
    assert notice.workflow_id.startswith(f"renewal:{stack.slug}:CT-Q:")
    assert [m["subject"] for m in stack.sent()] == [f"Contrat CT-Q : renouvellement le {notice.term_end:%d/%m/%Y}"]


def next_dst_change(after: date) -> date:
    """The first day after `after` on which Paris changes its UTC offset (at 02:00 or 03:00)."""
    day = after
    while PARIS.utcoffset(datetime.combine(day + timedelta(days=1), time(12))) == PARIS.utcoffset(
            datetime.combine(day, time(12))):
        day += timedelta(days=1)
    return day + timedelta(days=1)


async def test_notice_goes_on_exactly_its_day_across_a_dst_change(stack):
    await stack.mailer.verify(f.SENDER)
    change = next_dst_change(await stack.today() + timedelta(days=2))
    notice_day = change + timedelta(days=1)  # the first day on the new offset
    start, term_end = term_ending(notice_day + timedelta(days=10))
    assert term_end - timedelta(days=10) == notice_day  # DST changes fall on the last Sunday of a month
    await stack.load(stack.org(dunning=OFFICE_HOURS, renewals=f.RENEWALS,
                               contracts=[f.contract(start=start, amount="1500.00")]))
    days = [change - timedelta(days=1), change, notice_day, notice_day + timedelta(days=1)]
    started = [(await nightly(stack, day)).started for day in days]
    assert started == [0, 0, 1, 0]
    [notice] = await until_ended(stack)
    sent_at = notice.ended_at.astimezone(PARIS)
    assert (sent_at.date(), sent_at.hour) == (notice_day, 9)
    assert sent_at.utcoffset() != PARIS.utcoffset(datetime.combine(change - timedelta(days=1), time(12)))
    [message] = stack.sent()
    assert message["destinations"]["to"] == ["billing@dupont.example.org"]
    expected = f"se renouvelle le {term_end:%d/%m/%Y} pour 1\u202f500,00\xa0€. Le {notice_day:%d/%m/%Y}."
    assert expected in message["body"]


async def test_once_per_term_over_two_renewals_whatever_the_inspections(stack):
    await stack.mailer.verify(f.SENDER)
    start, first_end = term_ending(await stack.today() + timedelta(days=15))
    await stack.load(stack.org(renewals=f.RENEWALS, contracts=[f.contract(start=start)]))
    term_ends = [first_end, add_months(start, 6)]
    for term_end in term_ends:
        notice_day = term_end - timedelta(days=10)
        days = [notice_day - timedelta(days=1), notice_day, notice_day, notice_day + timedelta(days=1),
                term_end - timedelta(days=1), term_end]
        results = [await nightly(stack, day) for day in days]
        assert [r.started for r in results] == [0, 1, 0, 0, 0, 0]
        assert [r.examined for r in results] == [0, 1, 1, 1, 1, 0]  # due until the term ends, then not
    rows = await until_ended(stack, 2)
    assert [(r.term_end, r.outcome) for r in rows] == [(e, NoticeOutcome.SENT) for e in term_ends]
    assert [r.workflow_id for r in rows] == [renewal_workflow_id(stack.slug, "CT-1", e) for e in term_ends]
    assert len(stack.sent()) == 2


async def test_missed_day_is_caught_up_but_an_ended_term_never_gets_a_notice(stack):
    await stack.mailer.verify(f.SENDER)
    ended_start, ended_end = term_ending(await stack.today() + timedelta(days=10))
    start, term_end = term_ending(ended_end + timedelta(days=11))
    notice_day = term_end - timedelta(days=10)  # after CT-2's term has ended
    contracts = [f.contract("CT-1", start), f.contract("CT-2", ended_start)]
    await stack.load(stack.org(dunning=OFFICE_HOURS, renewals=f.RENEWALS, contracts=contracts))

    before = await nightly(stack, ended_end)  # CT-2's term ends that day: too late for its notice
    assert (before.examined, before.started) == (0, 0)
    # notice_day and the next one are missed (worker down); the inspection after catches up.
    late_day = notice_day + timedelta(days=2)
    after = await nightly(stack, late_day)
    assert (after.examined, after.started) == (1, 1)
    [notice] = await until_ended(stack)
    assert notice.workflow_id == renewal_workflow_id(stack.slug, "CT-1", term_end)
    assert notice.outcome == NoticeOutcome.SENT
    assert notice.ended_at.astimezone(PARIS).date() == late_day
    assert len(stack.sent()) == 1


@pytest.mark.parametrize("contact", ["none", "no-address"])
async def test_no_recipient_is_recorded_not_sent_and_visible(stack, contact):
    await stack.mailer.verify(f.SENDER)
    organisation = stack.org(renewals=f.RENEWALS, contracts=[f.contract()])
    if contact == "none":
        del organisation["contracts"][0]["billing_contact"]
    else:
        organisation["accounts"][0]["contacts"][0]["email"] = None
    await stack.load(organisation)
    assert (await inspect(stack)).started == 1
    [notice] = await until_ended(stack)
    assert (notice.outcome, notice.reason, notice.state) == ("not_sent", "no_recipient", RunState.ENDED)
    handle = stack.client.get_workflow_handle_for(RenewalNoticeWorkflow.run, notice.workflow_id)
    result = await handle.result()
    assert (result.outcome, result.reason) == (NoticeOutcome.NOT_SENT, NoticeReason.NO_RECIPIENT)
    keywords = await stack.keywords(handle)
    assert (keywords["RelanceState"], keywords["RelanceContract"], keywords["RelanceCustomer"],
            keywords["RelanceExitReason"]) == ("ended", "CT-1", "C1", "no_recipient")
    details = await handle.query("__temporal_workflow_metadata")
    assert "not_sent: no_recipient" in details.current_details
    assert stack.sent() == []


async def test_unverified_sender_blocks_until_verified_then_the_notice_goes(stack):
    await stack.load(stack.org(renewals=f.RENEWALS, contracts=[f.contract()]))
    assert (await inspect(stack)).started == 1
    [handle] = await recorded(stack, 1)

    async def blocked():
        status = await handle.query(RenewalNoticeWorkflow.status)
        return status if status.state == RunState.BLOCKED else None

    status = await stack.advance_until(blocked, step=timedelta(minutes=10))
    assert status.send_at - await stack.now() > timedelta(hours=12)  # tried again tomorrow
    assert (await notices(stack))[0].reason == "sender_not_verified"
    await stack.mailer.verify(f.SENDER)
    stack.mailer._verified.clear()
    await handle.signal(RenewalNoticeWorkflow.settings_changed)
    [notice] = await until_ended(stack)
    assert (notice.outcome, notice.recipient) == ("sent", "billing@dupont.example.org")
    assert len(stack.sent()) == 1


async def test_waiting_for_the_window_a_settled_contract_is_not_notified_and_a_cancel_is_recorded(stack):
    await stack.mailer.verify(f.SENDER)
    contracts = [f.contract("CT-1"), f.contract("CT-2")]
    await stack.load(stack.org(dunning=OFFICE_HOURS, renewals=f.RENEWALS, contracts=contracts))
    evening = datetime.combine(await stack.today() + timedelta(days=1), time(20), tzinfo=PARIS)
    await stack.env.sleep(evening - await stack.now())
    assert (await inspect(stack)).started == 2
    first, second = await recorded(stack, 2)

    async def waiting():
        status = await first.query(RenewalNoticeWorkflow.status)
        return status if status.state == RunState.WAITING else None

    status = await stack.advance_until(waiting, step=timedelta(seconds=1))
    assert status.send_at.astimezone(PARIS) == datetime.combine(evening.date() + timedelta(days=1), time(9),
                                                                tzinfo=PARIS)
    details = (await first.query("__temporal_workflow_metadata")).current_details
    assert "Waiting for the send window" in details and "09:00" in details
    assert (await stack.keywords(first))["RelanceState"] == "waiting"

    async with stack.db.session() as session:
        await session.exec(update(Contract).where(Contract.ref == "CT-1").values(status="settled"))
    assert await cancel_renewal_notice(stack.client, stack.db, stack.slug, "CT-2", "renegotiated", "claire") == [
        second.id]
    rows = await until_ended(stack, 2)
    assert [(r.outcome, r.reason, r.detail) for r in rows] == [
        ("not_sent", "contract_settled", None), ("cancelled", "cancelled", "by claire: renegotiated")]
    assert stack.sent() == []


async def test_send_retried_after_ses_accepted_sends_nothing_more(stack):
    """A worker lost after SES accepted the notice (here: the activity fails after the real send):
    the retry finds the notice recorded and does not send it again."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(renewals=f.RENEWALS, contracts=[f.contract()]))
    real = RenewalActivities(stack.db, stack.mailer, stack.webhooks())

    @activity.defn(name="send_notice")
    async def send_then_crash(inp: NoticeInput) -> NoticeAttempt:
        attempt = await real.send_notice(inp)
        if activity.info().attempt == 1:
            raise RuntimeError("worker lost after SES accepted the message")
        return attempt

    queue = stack.task_queue + "-crash"
    async with build_worker(stack.client, queue, stack.db, stack.mailer, {"send_notice": send_then_crash}):
        assert (await inspect(replace(stack, task_queue=queue))).started == 1
        [notice] = await until_ended(stack)
    assert (notice.outcome, notice.recipient) == ("sent", "billing@dupont.example.org")
    [message] = stack.sent()
    assert notice.provider_message_id == message["message_id"]


async def test_a_notice_whose_send_was_interrupted_before_ses_is_sent_once_after_the_window(stack, settings):
    """A claim in the send-once ledger left by a worker that died before SES had it: uncertain, then,
    no SES event having come within the reconciliation window, sent once."""
    local_ses.provision_events(stack.ses_endpoint, settings.ses_configuration_set)
    await stack.load(stack.org(renewals=f.RENEWALS, contracts=[f.contract()]))
    assert (await inspect(stack)).started == 1
    [handle] = await recorded(stack, 1)

    async def blocked():
        return (await handle.query(RenewalNoticeWorkflow.status)).state == RunState.BLOCKED

    await stack.advance_until(blocked, step=timedelta(minutes=10))
    [notice] = await notices(stack)
    async with stack.db.session() as session:
        session.add(EmailLedgerEntry(idem_key=f"{notice.workflow_id}:email", org_id=notice.org_id,
                                     workflow_id=notice.workflow_id, about_kind="contract", about_ref="CT-1",
                                     state="claimed", claimed_at=await stack.now()))
    await stack.mailer.verify(f.SENDER)
    stack.mailer._verified.clear()
    await handle.signal(RenewalNoticeWorkflow.settings_changed)
    [notice] = await until_ended(stack)
    [message] = stack.sent()
    assert (notice.outcome, notice.provider_message_id) == ("sent", message["message_id"])


async def one_notice_waiting(stack):
    """A contract's notice started in the evening, waiting for the next morning's send window."""
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(dunning=OFFICE_HOURS, renewals=f.RENEWALS, contracts=[f.contract("CT-1")]))
    evening = datetime.combine(await stack.today() + timedelta(days=1), time(20), tzinfo=PARIS)
    await stack.env.sleep(evening - await stack.now())
    assert (await inspect(stack)).started == 1
    [notice] = await recorded(stack, 1)
    return notice


@pytest.mark.parametrize("payload", [(), ("text",), ({},), ({"bogus": 1},), (["x"],), ({"by": "ops"},)],
                         ids=["none", "text", "empty", "bogus", "list", "no reason"])
async def test_a_malformed_cancel_of_a_notice_is_refused_visibly_and_a_reason_alone_cancels(stack, payload):
    notice = await one_notice_waiting(stack)
    await notice.signal("cancel_notice", args=list(payload))

    async def refused():
        status = await notice.query(RenewalNoticeWorkflow.status)  # still answers
        return status if status.refused else None

    status = await stack.advance_until(refused, step=timedelta(seconds=1))
    assert status.state == RunState.WAITING and status.refused[0].startswith("cancel_notice: ")
    assert "Refused: cancel_notice" in (await notice.query("__temporal_workflow_metadata")).current_details
    with pytest.raises(WorkflowUpdateFailedError):
        await notice.execute_update(RenewalNoticeWorkflow.cancel, args=list(payload))
    assert await notice.execute_update(RenewalNoticeWorkflow.cancel, {"reason": "renegotiated"}) == "cancelled"
    [row] = await until_ended(stack, 1)
    assert (row.outcome, row.detail) == ("cancelled", "by unknown: renegotiated")
    assert stack.sent() == []


async def test_a_refused_cancel_leaves_the_notice_to_go_out(stack):
    notice = await one_notice_waiting(stack)
    await notice.signal("cancel_notice", "text")
    [row] = await until_ended(stack, 1)
    assert row.outcome == "sent" and len(stack.sent()) == 1
    assert (await notice.query(RenewalNoticeWorkflow.status)).refused
