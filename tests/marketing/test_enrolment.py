"""Marketing enrolments on the time-skipping server: the welcome walk, consent in every email, each way
a run ends, double enrolment, re-entry, removal (and a malformed removal that wedges nothing)."""

from datetime import timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from models import Contact, EmailLedgerEntry, MarketingEnrolment, Suppression, SuppressionReason
from relance.marketing.types import ExitReason, OptOutVia
from relance.scenario.plan import RunState
from relance.temporal import search_attributes as sa
from starter import marketing
from tests import factories as f

CONTACT = "C1-billing"


async def _enrol(stack, contact: str = CONTACT, by: str = "ops"):
    return await marketing.enrol(stack.client, stack.db, stack.task_queue, stack.slug, "welcome", contact, by)


async def _ready(stack, **scenario):
    await stack.mailer.verify(f.SENDER)
    await stack.load(f.marketing_org(stack.slug, **scenario))


async def _rows(stack) -> list[MarketingEnrolment]:
    async with stack.db.session() as session:
        return list((await session.exec(select(MarketingEnrolment).order_by(MarketingEnrolment.id))).all())


async def test_enrolled_contact_gets_the_scenario_with_an_unsubscribe_link_and_one_click_headers(stack):
    await _ready(stack)
    enrolment = await _enrol(stack)
    assert enrolment.started
    handle = enrolment.handle
    await stack.advance_until(lambda: stack.sent())
    [welcome] = stack.sent()
    assert welcome["subject"] == "Bienvenue Jean"
    assert welcome["destinations"]["to"] == ["billing@dupont.example.org"]
    assert "M. Jean Dupont" in welcome["text"] and "Dupont SA" in welcome["text"]
    link = welcome["list_unsubscribe"].strip("<>")
    assert "/u/" in link and link in welcome["text"] and link in welcome["html"]
    result = await handle.result()
    assert (result.reason, result.emails_sent, result.steps_done) == (ExitReason.COMPLETED, 2, 2)
    second = stack.sent()[1]
    assert second["subject"] == "Trois conseils pour Dupont SA"
    assert second["list_unsubscribe"] == welcome["list_unsubscribe"]  # the contact's one link
    [row] = await _rows(stack)
    assert (row.state, row.exit_reason, row.emails_sent, row.enrolled_by) == (RunState.ENDED, "completed", 2, "ops")
    async with stack.db.session() as session:
        ledger = (await session.exec(select(EmailLedgerEntry).order_by(EmailLedgerEntry.idem_key))).all()
    assert [(e.about_kind, e.about_ref, e.state) for e in ledger] == [("contact", CONTACT, "sent")] * 2
    assert ledger[1].claimed_at - ledger[0].claimed_at >= timedelta(days=3)  # the pause, in the run's time
    attributes = await stack.keywords(handle)
    assert attributes[sa.ORGANISATION.name] == stack.slug
    assert attributes[sa.SCENARIO.name] == "welcome"
    assert attributes[sa.CONTACT.name] == CONTACT
    assert attributes[sa.EXIT_REASON.name] == ExitReason.COMPLETED


async def test_enrolling_a_running_contact_is_a_no_op_that_says_so(stack):
    await _ready(stack)
    first = await _enrol(stack)
    again = await _enrol(stack, by="someone else")
    assert (again.outcome, again.handle) == ("already_running", None)
    await first.handle.result()
    assert len(await _rows(stack)) == 1 and len(stack.sent()) == 2


@pytest.mark.parametrize(("reentry", "second_outcome", "emails"), [(False, "finished_no_reentry", 2),
                                                                     (True, "started", 4)])
async def test_a_contact_who_finished_enters_again_only_when_the_scenario_says_so(stack, reentry, second_outcome,
                                                                                  emails):
    await _ready(stack, reentry=reentry)
    first = await _enrol(stack)
    await first.handle.result()
    second = await _enrol(stack)
    assert second.outcome == second_outcome
    if second.started:
        result = await second.handle.result()
        assert result.emails_sent == 2
    assert len(stack.sent()) == emails
    rows = await _rows(stack)
    assert len(rows) == (2 if reentry else 1)
    assert len({r.run_id for r in rows}) == len(rows)  # one row per run, each its own ledger keys


async def _after_first_email(stack, change, *, signal: bool):
    """Enrol, let the welcome go, apply `change`, and return the run's result: the run re-checks before
    the next step (or at once when told)."""
    await _ready(stack)
    enrolment = await _enrol(stack)
    handle = enrolment.handle
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    await change()
    if signal:
        await handle.signal("contact_changed")
    return await handle.result()


async def test_a_contact_who_opts_out_leaves_at_once_and_gets_nothing_more(stack):
    async def opt_out():
        assert await marketing.opt_out(stack.client, stack.db, stack.slug, CONTACT, OptOutVia.API, await stack.now())

    result = await _after_first_email(stack, opt_out, signal=False)  # opt_out wakes the run itself
    assert (result.reason, result.emails_sent) == (ExitReason.OPTED_OUT, 1)
    assert len(stack.sent()) == 1
    refused = await _enrol(stack)
    assert (refused.started, refused.outcome) == (False, "refused_opted_out")


async def test_a_contact_whose_address_bounced_leaves_and_is_never_enrolled_again(stack):
    async def bounce():
        async with stack.db.session() as session:
            session.add(Suppression(address="billing@dupont.example.org", reason=SuppressionReason.HARD_BOUNCE,
                                    since=await stack.now()))

    result = await _after_first_email(stack, bounce, signal=True)
    assert (result.reason, result.emails_sent) == (ExitReason.ADDRESS_SUPPRESSED, 1)
    assert len(stack.sent()) == 1
    refused = await _enrol(stack)
    assert (refused.started, refused.outcome) == (False, "refused_address_suppressed")


async def test_a_deleted_contact_exits_before_the_next_step(stack):
    async def delete():
        organisation = f.marketing_org(stack.slug)
        organisation["accounts"][0]["contacts"][0]["deleted"] = True
        await stack.load(organisation)

    result = await _after_first_email(stack, delete, signal=False)
    assert (result.reason, result.emails_sent) == (ExitReason.CONTACT_DELETED, 1)
    assert len(stack.sent()) == 1


async def _ended_at_once(stack, change, reason: ExitReason) -> None:
    """Enrol, let the welcome go, apply `change` during the 3-day pause: the run exits with `reason` at
    once (woken, not at its next step), the welcome its only email."""
    await _ready(stack)
    enrolment = await _enrol(stack)
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    changed_at = await stack.now()
    await change()
    result = await enrolment.handle.result()
    assert (result.reason, result.emails_sent) == (reason, 1)
    [row] = await _rows(stack)
    assert row.exit_reason == reason and row.ended_at - changed_at < timedelta(hours=1)
    assert len(stack.sent()) == 1


async def test_a_scenario_switched_off_ends_its_enrolments_at_once(stack):
    async def switch_off():
        assert await marketing.set_scenario_activation(stack.client, stack.db, stack.slug, "welcome", False) == 1

    await _ended_at_once(stack, switch_off, ExitReason.SCENARIO_OFF)
    refused = await _enrol(stack, "C1-billing")
    assert refused.outcome == "refused_scenario_switched_off"


async def _import_waking(stack, **changes) -> None:
    """An import as the host's import_and_start does it: the data, then the runs it ends woken."""
    data = f.marketing_org(stack.slug, enabled=changes.get("enabled", True))
    data["accounts"][0]["contacts"][0].update(changes.get("contact", {}))
    report = await stack.load(data)
    assert await marketing.wake_after_import(stack.client, stack.db, report) == 1


async def test_an_import_switching_the_scenario_off_ends_its_enrolments_at_once(stack):
    await _ended_at_once(stack, lambda: _import_waking(stack, enabled=False), ExitReason.SCENARIO_OFF)


@pytest.mark.parametrize(("contact", "reason"), [({"opted_out": True}, ExitReason.OPTED_OUT),
                                                 ({"deleted": True}, ExitReason.CONTACT_DELETED)])
async def test_an_import_opting_out_or_deleting_a_contact_ends_its_enrolments_at_once(stack, contact, reason):
    await _ended_at_once(stack, lambda: _import_waking(stack, contact=contact), reason)


async def test_removal_during_a_pause_ends_the_run_at_once_with_who_and_why(stack):
    await _ready(stack)
    enrolment = await _enrol(stack)
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    removed_at = await stack.now()
    answer = await marketing.remove(stack.client, stack.slug, "welcome", CONTACT, "claire", "asked by phone")
    assert "removed" in answer
    result = await enrolment.handle.result()
    assert result.reason == ExitReason.REMOVED
    assert result.detail == "by claire: asked by phone"
    [row] = await _rows(stack)
    assert (row.exit_reason, row.exit_detail) == ("removed", "by claire: asked by phone")
    assert row.ended_at - removed_at < timedelta(hours=1)  # not at the end of the 3-day pause
    assert len(stack.sent()) == 1
    with pytest.raises(marketing.repository.NotFound, match="no running enrolment"):
        await marketing.remove(stack.client, stack.slug, "welcome", CONTACT, "claire", "again")


async def test_a_malformed_removal_is_refused_to_its_sender_and_the_run_goes_on(stack):
    await _ready(stack)
    enrolment = await _enrol(stack)
    handle = enrolment.handle
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    with pytest.raises(ValueError, match="field by is empty"):
        await marketing.remove(stack.client, stack.slug, "welcome", CONTACT, " ", "no one said who")
    for payload in ({"reason": 42}, "not a request", None):
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("remove", payload)
    result = await handle.result()
    assert (result.reason, result.emails_sent) == (ExitReason.COMPLETED, 2)


async def test_batch_enrolment_by_tag_reports_each_contact(stack):
    await stack.mailer.verify(f.SENDER)
    organisation = f.marketing_org(stack.slug)
    organisation["accounts"][0]["contacts"] += [
        {"ref": "C1-boss", "first_name": "Anne", "email": "anne@dupont.example.org", "tags": ["newsletter"]},
        {"ref": "C1-gone", "email": "gone@dupont.example.org", "tags": ["newsletter"], "opted_out": True},
        {"ref": "C1-other", "email": "other@dupont.example.org"},
    ]
    await stack.load(organisation)
    seen = []
    result = await marketing.enrol_batch(stack.client, stack.db, stack.task_queue, stack.slug, "welcome", "ops",
                                         tag="newsletter", progress=lambda n, total, e: seen.append((n, total)))
    assert result.total == 3 and seen == [(1, 3), (2, 3), (3, 3)]
    assert result.outcomes == {"started": 2, "refused_opted_out": 1}
    async with stack.db.session() as session:
        gone = (await session.exec(select(Contact).where(Contact.ref == "C1-gone"))).one()
    assert gone.opted_out_via == "import"


async def test_an_opt_out_stops_marketing_but_not_dunning_which_is_no_marketing(stack):
    await stack.mailer.verify(f.SENDER)
    data = f.marketing_org(stack.slug)
    data["accounts"][0]["contacts"][0]["opted_out"] = True
    data["scenarios"] = f.org(f.ONE_REMINDER, slug=stack.slug)["scenarios"]
    data["invoices"] = [f.invoice()]
    await stack.load(data)
    assert (await _enrol(stack)).outcome == "refused_opted_out"
    result = await (await stack.start()).result()
    assert result.emails_sent == 1
    assert [m["destinations"]["to"] for m in stack.sent()] == [["billing@dupont.example.org"]]  # the reminder


async def test_batch_enrolment_by_account_and_an_unknown_account_is_named(stack):
    await _ready(stack)
    result = await marketing.enrol_batch(stack.client, stack.db, stack.task_queue, stack.slug, "welcome", "ops",
                                         account_ref="C1")
    assert (result.total, result.outcomes) == (1, {"started": 1})
    with pytest.raises(marketing.repository.NotFound, match="account 'nope' of organisation"):
        await marketing.enrol_batch(stack.client, stack.db, stack.task_queue, stack.slug, "welcome", "ops",
                                    account_ref="nope")
