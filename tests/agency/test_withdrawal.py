"""Drafts that became pointless are withdrawn with their reason when the host reports the change; changed
dates draft again (an edited draft is flagged, not overwritten); a send re-checks the booking first."""

from datetime import date

import pytest
from sqlmodel import select

from models import Booking, BookingPayment
from starter import agency
from tests.agency import data

BALANCE = dict(balance_amount="500.00", balance_due_on="2020-03-10")


async def _one(stack, kind: str):
    lines = await agency.tab_drafts(stack.db, stack.slug, "mer", kind)
    assert len(lines) == 1
    return lines[0].draft


async def _report(stack, ref: str, **changes):
    history = await agency.booking_history(stack.db, stack.slug, "mer", ref)
    b = history.booking
    raw = data.booking(ref, b.arrival, b.departure, status=b.status, guest_language=b.guest_language,
                       balance_amount=str(b.balance_amount), **({"balance_due_on": b.balance_due_on}
                                                                if b.balance_due_on else {}),
                       **({"option_expires_on": b.option_expires_on} if b.option_expires_on else {}))
    raw.update({k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()})
    return await agency.report_booking(stack.client, stack.db, stack.task_queue, stack.slug, "mer", raw)


@pytest.mark.parametrize("kind, booking, change, reason", [
    ("balance", data.booking("B1", "2020-03-20", "2020-03-27", **BALANCE),
     {"payments": [{"ref": "V1", "amount": "500.00", "paid_on": "2020-03-02"}]}, "balance_paid"),
    ("option", data.booking("O1", "2020-03-20", "2020-03-27", status="option", option_expires_on="2020-03-05"),
     {"status": "confirmed"}, "option_confirmed"),
    ("option", data.booking("O1", "2020-03-20", "2020-03-27", status="option", option_expires_on="2020-03-05"),
     {"status": "cancelled"}, "option_lapsed"),
    ("arrival", data.booking("A1", "2020-03-20", "2020-03-27"), {"status": "cancelled"}, "booking_cancelled"),
])
async def test_a_reported_change_withdraws_the_draft_with_its_reason(stack, kind, booking, change, reason):
    await stack.load(data.organisation(stack.slug, [booking], {"balance": 10, "option": 5, "arrival": 18}))
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 3, 2))
    draft = await _one(stack, kind)
    report = await _report(stack, booking["reference"], **change)
    assert report.withdrawn == [(draft.id, reason)]
    assert await agency.tab_drafts(stack.db, stack.slug, "mer", kind) == []
    closed = await agency.closed_drafts(stack.db, stack.slug, "mer")
    assert [(line.draft.id, line.draft.status, line.draft.reason) for line in closed] == [(draft.id, "withdrawn",
                                                                                           reason)]
    history = await agency.booking_history(stack.db, stack.slug, "mer", booking["reference"])
    assert draft.id in [d.id for d in history.drafts]  # stays in the booking's history


async def test_changed_dates_withdraw_the_old_draft_and_draft_again(stack):
    await stack.load(data.organisation(stack.slug, [data.booking("A1", "2020-05-10", "2020-05-17")], {"arrival": 7}))
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 5, 4))
    old = await _one(stack, "arrival")
    report = await _report(stack, "A1", arrival="2020-05-12", departure="2020-05-19")
    assert report.withdrawn == [(old.id, "dates_changed")]
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 5, 5))
    new = await _one(stack, "arrival")
    assert new.id != old.id and new.counts_from == date(2020, 5, 12) and "12/05/2020" in new.body


async def test_an_edited_draft_is_flagged_not_overwritten_when_dates_change(stack):
    await stack.load(data.organisation(stack.slug, [data.booking("A1", "2020-05-10", "2020-05-17")], {"arrival": 7}))
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 5, 4))
    draft = await _one(stack, "arrival")
    await agency.edit_draft(stack.db, stack.slug, "mer", draft.id, draft.version, "Bienvenue", "Mon texte", "anne")
    report = await _report(stack, "A1", arrival="2020-05-12", departure="2020-05-19")
    assert report.withdrawn == [] and report.flagged == [draft.id]
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 5, 5))
    kept = await _one(stack, "arrival")  # no second draft beside the person's
    assert (kept.id, kept.status, kept.body) == (draft.id, "edited", "Mon texte")
    assert kept.flagged == "arrival moved from 2020-05-10 to 2020-05-12"


async def test_a_send_rechecks_the_booking_so_a_late_change_stops_the_email(stack):
    await stack.load(data.organisation(stack.slug, [data.booking("B1", "today+15", "today+22", balance_amount="500.00",
                                                                 balance_due_on="today+5")], {"balance": 10}))
    await data.draft_today(stack)
    draft = await _one(stack, "balance")
    async with stack.db.session() as session:  # paid, but the host has not told relance yet
        booking = (await session.exec(select(Booking).where(Booking.reference == "B1"))).one()
        session.add(BookingPayment(booking_id=booking.id, ref="V1", amount="500.00", paid_on=date(2020, 3, 3)))
    await stack.mailer.verify(data.SENDER)
    await agency.send_draft(stack.client, stack.db, stack.task_queue, stack.slug, "mer", draft.id, draft.version,
                            "anne")
    line = await agency.draft_line(stack.db, stack.slug, "mer", draft.id)
    assert (line.draft.status, line.draft.reason) == ("withdrawn", "balance_paid")
    assert stack.sent() == []
