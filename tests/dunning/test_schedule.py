"""The nightly Schedules' wiring, on the dev server (the time-skipping server has no schedules)."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

from models import DunningRun, RenewalNotice
from starter.schedule import ensure_renewal_schedule, ensure_sweep_schedule
from tests import factories as f


async def test_nightly_schedule_runs_at_two_in_the_organisation_zone_and_starts_runs(dev_stack, db, mailer):
    client, task_queue, _ = dev_stack
    today = datetime.now(ZoneInfo("America/Montreal")).date()
    slug = f"sched-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    await f.load(db, f.org(slug=slug, timezone="America/Montreal", invoices=[f.invoice(), f.invoice("F-2")]), today)
    handle = await ensure_sweep_schedule(client, slug, "America/Montreal", "0 2 * * *", task_queue)
    again = await ensure_sweep_schedule(client, slug, "America/Montreal", "0 2 * * *", task_queue)
    assert again.id == handle.id == f"dunning-sweep:{slug}"

    description = await handle.describe()
    assert description.schedule.spec.time_zone_name == "America/Montreal"
    next_runs = [t.astimezone(ZoneInfo("America/Montreal")) for t in description.info.next_action_times]
    assert next_runs and all((t.hour, t.minute) == (2, 0) for t in next_runs)

    await handle.trigger()
    for _ in range(100):
        async with db.session() as session:
            count = (await session.exec(select(func.count()).select_from(DunningRun))).one()
        if count == 2:
            break
        await asyncio.sleep(0.2)
    assert count == 2
    recent = (await handle.describe()).info.recent_actions
    assert recent and recent[-1].action.workflow_id.startswith(f"dunning-sweep-run:{slug}")
    await handle.delete()


async def test_renewal_inspection_has_its_own_nightly_schedule_that_starts_notices(dev_stack, db, mailer):
    client, task_queue, _ = dev_stack
    slug = f"renew-{task_queue[-8:]}"
    await mailer.verify(f.SENDER)
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    await f.load(db, f.org(slug=slug, renewals=f.RENEWALS, contracts=[f.contract()]), today)
    handle = await ensure_renewal_schedule(client, slug, "Europe/Paris", "0 2 * * *", task_queue)
    assert handle.id == f"renewal-inspection:{slug}"
    description = await handle.describe()
    next_runs = [t.astimezone(ZoneInfo("Europe/Paris")) for t in description.info.next_action_times]
    assert next_runs and all((t.hour, t.minute) == (2, 0) for t in next_runs)

    await handle.trigger()
    for _ in range(100):
        async with db.session() as session:
            notices = (await session.exec(select(RenewalNotice))).all()
        if notices and notices[0].outcome == "sent":
            break
        await asyncio.sleep(0.2)
    assert [n.workflow_id.rsplit(":", 1)[0] for n in notices] == [f"renewal:{slug}:CT-1"]
    assert notices[0].outcome == "sent"
    await handle.delete()
