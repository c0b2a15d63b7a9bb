"""Record the histories replayed by tests/test_replay.py, from representative runs on the real
time-skipping server, PostgreSQL and local SES. Refresh them after an intended change of workflow
behaviour (guarded by workflow.patched), all of them or those named:

    .venv/bin/python -m tests.histories.record [scenario ...]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from models import Organisation, RenewalNotice
from relance.config import Settings
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.local.postgres import LocalPostgres
from relance.local.ses import LocalSes
from relance.migrate import upgrade_async
from relance.nightly import SweepRequest
from relance.temporal.admin import ensure_search_attributes
from relance.temporal.client import DATA_CONVERTER
from relance.temporal.queues import webhook_queue
from relance.webhooks.ids import delivery_workflow_id
from relance.webhooks.publishing import Event, Publisher
from starter import marketing
from starter.dunning import cancel_reminders, record_payment, set_dunning_activation, start_dunning_run
from starter.simulation import start_simulation
from starter.webhooks import add_endpoint
from tests import factories as f
from tests.conftest import RECEIVERS, TEST_SERVER, free_port
from worker import build_worker
from workflows.dunning import DunningSweepWorkflow
from workflows.renewal import RenewalInspectionWorkflow
from workflows.simulation import ScenarioSimulationWorkflow

HERE = Path(__file__).parent


async def record(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as home:
        pg = LocalPostgres(Path(home) / "pg", port=free_port())
        ses = LocalSes(port=free_port())
        pg.start()
        pg.create_database("relance")
        ses.start()
        try:
            settings = Settings(database_url=pg.url("relance"), ses_endpoint=ses.endpoint)
            await upgrade_async(settings.database_url)
            db, mailer = Database(settings.database_url), SesMailer(settings)
            await mailer.verify(f.SENDER)
            for name, scenario in SCENARIOS.items():
                if names and name not in names:
                    continue
                async with await WorkflowEnvironment.start_time_skipping(
                        test_server_existing_path=TEST_SERVER, data_converter=DATA_CONVERTER) as env:
                    await ensure_search_attributes(env.client, env.client.namespace)
                    queue = f"record-{uuid.uuid4()}"
                    async with build_worker(env.client, queue, db, mailer):
                        handle = await scenario(env, db, queue, f"rec-{name.replace('_', '-')}")
                        await handle.result()
                        history = await handle.fetch_history()
                (HERE / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
                print(f"recorded {name}: {len(history.events)} events")
            await db.close()
        finally:
            ses.stop()
            pg.destroy()


async def _load(db, env, organisation):
    today = (await env.get_current_time()).date()
    await f.load(db, organisation, today)


async def completed_default_scenario(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug, invoices=[f.invoice(due="today+5")]))
    return await start_dunning_run(env.client, queue, slug, "F-1", "C1")


async def cancelled_by_signal(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug, invoices=[f.invoice()]))
    handle = await start_dunning_run(env.client, queue, slug, "F-1", "C1")
    await env.sleep(timedelta(days=1))
    await cancel_reminders(env.client, slug, "F-1", "paid by cheque", "ops")
    return handle


async def signal_refused(env, db, queue, slug):
    """A cancel without its reason is refused (recorded), then one with it cancels."""
    await _load(db, env, f.org(slug=slug, invoices=[f.invoice()]))
    handle = await start_dunning_run(env.client, queue, slug, "F-1", "C1")
    await env.sleep(timedelta(days=1))
    await handle.signal("cancel_reminders", {"by": "ops"})
    await env.sleep(timedelta(days=1))
    await handle.signal("cancel_reminders", {"reason": "paid by cheque"})
    return handle


async def paid_mid_run(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug, invoices=[f.invoice()]))
    handle = await start_dunning_run(env.client, queue, slug, "F-1", "C1")
    await env.sleep(timedelta(days=1))
    await record_payment(env.client, db, slug, "F-1", f.Decimal("1200.00"), "P1", (await env.get_current_time()).date())
    return handle


async def held_then_resumed(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug, dunning={"enabled": False}, invoices=[f.invoice()]))
    handle = await start_dunning_run(env.client, queue, slug, "F-1", "C1")
    await env.sleep(timedelta(days=3))
    await set_dunning_activation(env.client, db, slug, True)
    return handle


async def sweep(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug, invoices=[f.invoice("F-1"), f.invoice("F-2")]))
    return await env.client.start_workflow(DunningSweepWorkflow.run, SweepRequest(slug), id=f"sweep-{slug}",
                                           task_queue=queue)


async def simulation(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug))
    handle = await start_simulation(env.client, db, queue, slug, f.SENDER)
    for _ in range(6):
        await handle.execute_update(ScenarioSimulationWorkflow.execute_next)
    return handle


async def renewal_inspection(env, db, queue, slug):
    await _load(db, env, f.org(slug=slug, renewals=f.RENEWALS, contracts=[f.contract()]))
    return await env.client.start_workflow(RenewalInspectionWorkflow.run, SweepRequest(slug),
                                           id=f"inspection-{slug}", task_queue=queue)


async def renewal_notice(env, db, queue, slug):
    """The notice a first inspection started (found by its row), waiting for its window then sent."""
    await _load(db, env, f.org(slug=slug, dunning={"send_window": ["09:00", "18:00"]}, renewals=f.RENEWALS,
                               contracts=[f.contract()]))
    inspection = await env.client.start_workflow(RenewalInspectionWorkflow.run, SweepRequest(slug),
                                                 id=f"inspection-{slug}", task_queue=queue)
    with env.auto_time_skipping_disabled():
        await inspection.result()
    for _ in range(50):  # the notice writes its row as it begins, just after the inspection returns
        async with db.session() as session:
            notices = (await session.exec(select(RenewalNotice.workflow_id).where(
                RenewalNotice.workflow_id.startswith(f"renewal:{slug}:")))).all()  # not the inspection's
        if notices:
            break
        await asyncio.sleep(0.1)
    workflow_id = notices[-1]
    await env.sleep(timedelta(days=1))  # past the next window opening: the notice has gone
    return env.client.get_workflow_handle(workflow_id)


async def webhook_delivery_failed(env, db, queue, slug):
    """A delivery to an endpoint nobody listens on: 3 days of retries, then failed."""
    await _load(db, env, f.org(slug=slug))
    endpoint, _ = await add_endpoint(db, slug, f"http://127.0.0.1:{free_port()}/nobody", ["run.ended"],
                                     allow=RECEIVERS)
    async with db.session() as session:
        org_id = (await session.exec(select(Organisation.id).where(Organisation.slug == slug))).one()
    event = Event(org_id, slug, "run.ended", f"run.ended:{slug}", {"exit_reason": "paid"},
                  await env.get_current_time())
    await Publisher(db, env.client, webhook_queue(queue)).publish(event)
    await env.sleep(timedelta(days=3, hours=1))
    return env.client.get_workflow_handle(delivery_workflow_id(endpoint.id, event.id))


async def marketing_removed(env, db, queue, slug):
    """A welcome enrolment: its first email, then removed during the pause."""
    await _load(db, env, f.marketing_org(slug))
    enrolment = await marketing.enrol(env.client, db, queue, slug, "welcome", "C1-billing", "ops")
    await env.sleep(timedelta(days=1))
    await marketing.remove(env.client, slug, "welcome", "C1-billing", "claire", "asked by phone")
    return enrolment.handle


async def marketing_campaign(env, db, queue, slug):
    """A campaign to the contacts tagged newsletter, one of them opted out."""
    organisation = f.marketing_org(slug)
    organisation["accounts"][0]["contacts"] += [
        {"ref": "C1-anne", "email": "anne@dupont.example.org", "tags": ["newsletter"]},
        {"ref": "C1-gone", "email": "gone@dupont.example.org", "tags": ["newsletter"], "opted_out": True}]
    await _load(db, env, organisation)
    await marketing.create_campaign(db, slug, "promo", "Promo", "tips", "ops", tag="newsletter")
    return await marketing.launch_campaign(env.client, db, queue, slug, "promo", "ops")


async def marketing_campaign_batches(env, db, queue, slug):
    """A campaign in batches of two recipients: its second run (the progress carried, the next page of
    recipients), which continues as new again."""
    organisation = f.marketing_org(slug)
    organisation["accounts"][0]["contacts"] += [
        {"ref": f"C1-r{n}", "email": f"r{n}@dupont.example.org", "tags": ["newsletter"]} for n in range(4)]
    await _load(db, env, organisation)
    await marketing.create_campaign(db, slug, "promo", "Promo", "tips", "ops", tag="newsletter")
    first = await marketing.launch_campaign(env.client, db, queue, slug, "promo", "ops", batch_size=2)
    await first.result()
    first_run = env.client.get_workflow_handle(first.id, run_id=first.first_execution_run_id)
    last = [e async for e in first_run.fetch_history_events()][-1]
    return env.client.get_workflow_handle(
        first.id, run_id=last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id)
class _FirstRun:
    """An entity workflow never ends: its first run, closed by continue-as-new, is the history."""

    def __init__(self, handle):
        self._handle = handle

    async def result(self):
        async for event in self._handle.fetch_history_events(wait_new_event=True):
            if event.HasField("workflow_execution_continued_as_new_event_attributes"):
                return None

    async def fetch_history(self):
        return await self._handle.fetch_history()


async def pipeline_events(env, db, queue, slug):
    """An opportunity's events by update-with-start: an email and an action (and the event it causes),
    a failing automation recorded, a save without change, then continue-as-new after 3 events."""
    from starter import pipeline
    from tests.pipeline.data import R2_EMAIL, WON_ADMIN, pipeline_org

    failing = {"key": "unverified", "trigger": {"when": "enters_stage", "stage": "R3"}, "automations": [
        {"do": "send_email", "to": "contact", "sender": "paul@example.com", "template": "r2-docs"},
        {"do": "notify", "text": "R3"}]}
    await _load(db, env, pipeline_org(slug, rules=[WON_ADMIN, R2_EMAIL, failing]))
    for n, fields in enumerate(({"stage": "R2"}, {"stage": "R2"}, {"stage": "R3"}, {"result": "won"})):
        await pipeline.report_event(env.client, db, queue, slug, {"event_id": f"e{n}", "opportunity": "OPP-1",
                                                                 "kind": "opportunity", **fields},
                                    wait=n < 2, events_per_run=3)
    first = env.client.get_workflow_handle(f"opportunity:{slug}:OPP-1")
    async for event in first.fetch_history_events():
        run_id = event.workflow_execution_started_event_attributes.first_execution_run_id
        break
    return _FirstRun(env.client.get_workflow_handle(first.id, run_id=run_id))


async def pipeline_rules(env, db, queue, slug):
    """Issue 26: a time trigger fires (14 days in R2), a conditional rule holds and waits 2 days then goes
    on, and continue-as-new after 5 events with nothing in flight."""
    from starter import pipeline
    from tests.pipeline.data import pipeline_org

    stale = {"key": "stale", "trigger": {"when": "days_in_stage", "stage": "R2", "days": 14},
             "automations": [{"do": "notify", "text": "14 jours en R2"}]}
    won = {"key": "won", "trigger": {"when": "result", "result": "won"}, "condition": {"field": "amount", "gt": 1000},
           "automations": [{"do": "notify", "text": "gagnée"}, {"do": "wait", "days": 2,
                                                                 "condition": {"field": "result", "is": "won"}},
                           {"do": "add_tag", "tag": "suivi"}]}
    await _load(db, env, pipeline_org(slug, rules=[stale, won]))

    async def report(event_id: str, **fields):
        await pipeline.report_event(env.client, db, queue, slug, {"event_id": event_id, "opportunity": "OPP-1",
                                                                 "kind": "opportunity", **fields},
                                    wait=True, events_per_run=5)
    await report("e0", stage="R2")
    await env.sleep(timedelta(days=15))
    await report("e1", result="won")
    await env.sleep(timedelta(days=3))
    await report("e2", amount="5000")
    await report("e3", amount="6000")
    first = env.client.get_workflow_handle(f"opportunity:{slug}:OPP-1")
    async for event in first.fetch_history_events():
        run_id = event.workflow_execution_started_event_attributes.first_execution_run_id
        break
    return _FirstRun(env.client.get_workflow_handle(first.id, run_id=run_id))


async def pipeline_host_call(env, db, queue, slug):
    """Issue 26: a rule calls the host, whose endpoint never answers: 3 days of retries, then the failure
    written on the opportunity's timeline."""
    from models import AutomationRun
    from relance.pipeline.ids import host_call_workflow_id
    from starter import pipeline
    from tests.pipeline.data import pipeline_org

    await _load(db, env, pipeline_org(slug, rules=[]))
    endpoint, _ = await add_endpoint(db, slug, f"http://127.0.0.1:{free_port()}/nobody", ["run.ended"],
                                     allow=RECEIVERS)
    call = {"key": "call", "trigger": {"when": "result", "result": "won"},
            "automations": [{"do": "call_host", "endpoint": str(endpoint.id)}]}
    await _load(db, env, pipeline_org(slug, rules=[call]))
    await pipeline.report_event(env.client, db, queue, slug, {"event_id": "e0", "opportunity": "OPP-1",
                                                             "kind": "opportunity", "result": "won"}, wait=True)
    await env.sleep(timedelta(days=3, hours=1))
    async with db.session() as session:
        key = (await session.exec(select(AutomationRun.idem_key).where(AutomationRun.kind == "call_host"))).one()
    return env.client.get_workflow_handle(host_call_workflow_id(key))


def _agency_org(slug: str) -> dict:
    from tests.agency import data

    organisation = data.organisation(slug, [data.booking(f"A{n}", "today+5", "today+12") for n in range(3)],
                                     {"arrival": 7})
    organisation["agencies"][0]["sender_email"] = f.SENDER
    return organisation


async def agency_drafting(env, db, queue, slug):
    """An agency's nightly drafting: three arrival drafts, the day's summary emailed to its staff."""
    from relance.agency.ids import DRAFTING_WORKFLOW
    from relance.agency.types import DraftingInput, DraftingResult

    await _load(db, env, _agency_org(slug))
    return await env.client.start_workflow(DRAFTING_WORKFLOW, DraftingInput(slug, "mer"), id=f"agency-drafting:{slug}",
                                           task_queue=queue, result_type=DraftingResult)


async def agency_send_all(env, db, queue, slug):
    """A send-all of an agency's arrival tab: three drafts, one withdrawn at send (its booking cancelled)."""
    from models import Booking, BookingStatus
    from starter import agency

    await _load(db, env, _agency_org(slug))
    with env.auto_time_skipping_disabled():  # today's drafts are sent today (the clock jumps otherwise)
        await agency.draft_day(env.client, queue, slug, "mer")
        ids = [line.draft.id for line in await agency.tab_drafts(db, slug, "mer", "arrival")]
        async with db.session() as session:
            booking = (await session.exec(select(Booking).where(Booking.reference == "A1"))).one()
            booking.status = BookingStatus.CANCELLED
            session.add(booking)
        started = await agency.send_tab(env.client, db, queue, slug, "mer", "arrival", ids, "anne")
        await started.handle.result()
    return started.handle


SCENARIOS = {fn.__name__: fn for fn in (completed_default_scenario, cancelled_by_signal, signal_refused, paid_mid_run,
                                        held_then_resumed, sweep, simulation, renewal_inspection,
                                        renewal_notice, webhook_delivery_failed, marketing_removed,
                                        marketing_campaign, marketing_campaign_batches, pipeline_events,
                                        pipeline_rules, pipeline_host_call, agency_drafting, agency_send_all)}

if __name__ == "__main__":
    asyncio.run(record(sys.argv[1:]))
    os._exit(0)  # sdk-python#300
