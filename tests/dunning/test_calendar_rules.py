"""A real run keeps the calendar rules: N days are calendar days in the zone (across DST), windows
close on weekends and public holidays, and a held run never bursts, however many steps follow."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from relance.scenario.plan import RunState
from tests import factories as f
from workflows.dunning import InvoiceDunningWorkflow

WORKING_HOURS = {"send_window": ["09:00", "18:00"], "send_days": "mon-fri"}


def next_dst_change(zone: str, after: date) -> date:
    """The first day after `after` whose UTC offset differs from the day before."""
    tz = ZoneInfo(zone)
    day = after
    while True:
        day += timedelta(days=1)
        noon = datetime.combine(day, time(12), tz)
        if noon.utcoffset() != (noon - timedelta(days=1)).utcoffset():
            return day


async def sent_at(stack, zone: str, number: str = "F-1") -> list[datetime]:
    """When each email of the run went, local, to the minute (the step runs just after its timer fires)."""
    return [e.occurred_at.astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0)
            for e in await stack.emails(number)]


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
async def test_a_pause_across_the_dst_change_keeps_the_local_hour(stack, zone):
    await stack.mailer.verify(f.SENDER)
    change = next_dst_change(zone, await stack.today(zone) + timedelta(days=7))
    steps = [{"kind": "email", "label": "First", "template": "first", "offset_days": 0},
             {"kind": "pause", "label": "Pause", "days": 10},
             {"kind": "email", "label": "Second", "template": "second"}]
    await stack.load(stack.org(steps, timezone=zone, dunning={"send_window": ["09:00", "18:00"]},
                               invoices=[f.invoice(due=(change - timedelta(days=5)).isoformat())]))
    handle = await stack.start()
    assert (await handle.result()).emails_sent == 2
    first, second = await sent_at(stack, zone)
    assert (first.date(), first.time()) == (change - timedelta(days=5), time(9))
    assert (second.date(), second.time()) == (change + timedelta(days=5), time(9))


async def test_a_step_due_on_a_weekend_or_public_holiday_goes_at_the_next_opening(stack):
    await stack.mailer.verify(f.SENDER)
    today = await stack.today()
    french = holidays.country_holidays("FR")
    closed = next(today + timedelta(days=n) for n in range(3, 400)
                  if (today + timedelta(days=n)) in french and (today + timedelta(days=n)).weekday() < 5)
    saturday = next(today + timedelta(days=n) for n in range(3, 10) if (today + timedelta(days=n)).weekday() == 5)
    invoices = [f.invoice("F-1", due=closed.isoformat()), f.invoice("F-2", due=saturday.isoformat())]
    steps = [{"kind": "email", "label": "On the due date", "template": "first", "offset_days": 0}]
    await stack.load(stack.org(steps, holiday_country="FR", dunning=WORKING_HOURS, invoices=invoices))
    handles = [await stack.start(number) for number in ("F-1", "F-2")]  # both before time skips (pitfall 4)
    for handle in handles:
        await handle.result()
    for number, day in (("F-1", closed), ("F-2", saturday)):
        [email] = await sent_at(stack, "Europe/Paris", number)
        expected = day + timedelta(days=1)
        while expected.weekday() >= 5 or expected in french:
            expected += timedelta(days=1)
        assert (email.date(), email.time()) == (expected, time(9)), number


async def test_a_held_run_resumes_with_every_later_step_spaced_as_the_scenario_says(stack):
    """Three reminders 10 days apart, all overdue after a month switched off: they go 10 days apart
    from the resumption, not the first on resumption and the other two right after it."""
    await stack.mailer.verify(f.SENDER)
    steps = [{"kind": "email", "label": f"R{n}", "template": "first", "offset_days": 10 * n} for n in range(3)]
    await stack.load(stack.org(steps, dunning={"enabled": False}, invoices=[f.invoice(due="today-1")]))
    handle = await stack.start()
    await stack.advance_until(lambda: _held(handle), step=timedelta(minutes=10))
    await stack.env.sleep(timedelta(days=40))  # every step's date passes while switched off
    assert stack.sent() == []
    from starter.dunning import set_dunning_activation

    await set_dunning_activation(stack.client, stack.db, stack.slug, True)
    assert (await handle.result()).emails_sent == 3
    times = await sent_at(stack, "Europe/Paris")
    assert [b - a >= timedelta(days=10) for a, b in zip(times, times[1:], strict=False)] == [True, True]


async def _held(handle) -> bool:
    return (await handle.query(InvoiceDunningWorkflow.status)).state == RunState.HELD
