"""Drafting by a window, not an exact day (seed 003): each kind's due date, the after-departure list of
the seed's dates with its 14-day expiry, a missed night caught up, once per booking and date."""

from datetime import date

from sqlmodel import select

from models import Booking, Draft
from starter import agency
from tests.agency import data


async def _departures(stack) -> list[date]:
    lines = await agency.tab_drafts(stack.db, stack.slug, "mer", "after_departure")
    return sorted(line.booking.departure for line in lines)


def _days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]


async def test_the_seeds_after_departure_list_on_31_01_and_10_02_2020(stack):
    """7 days after departure: on 31/01/2020 the list holds the stays that ended 10/01..24/01/2020; on
    10/02/2020 those that ended 20/01..03/02/2020 (the older ones expired, recorded)."""
    await stack.load(data.organisation(stack.slug, data.stays_ending(date(2020, 1, 1), date(2020, 2, 15))))
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 1, 31))
    assert await _departures(stack) == _days(date(2020, 1, 10), date(2020, 1, 24))
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 2, 10))
    assert await _departures(stack) == _days(date(2020, 1, 20), date(2020, 2, 3))
    closed = await agency.closed_drafts(stack.db, stack.slug, "mer")
    assert sorted(line.booking.departure for line in closed) == _days(date(2020, 1, 10), date(2020, 1, 19))
    assert {(line.draft.status, line.draft.reason) for line in closed} == {("expired", "past_sendable_until")}
    line = next(line for line in closed if line.booking.departure == date(2020, 1, 10))
    assert (line.draft.due_on, line.draft.sendable_until) == (date(2020, 1, 17), date(2020, 1, 31))


async def test_each_kind_is_due_its_delay_before_or_after_its_date(stack):
    bookings = [data.booking("B1", "2020-03-20", "2020-03-27", balance_amount="500.00", balance_due_on="2020-03-10"),
                data.booking("O1", "2020-03-20", "2020-03-27", status="option", option_expires_on="2020-03-05")]
    await stack.load(data.organisation(stack.slug, bookings, {"balance": 10, "arrival": 15, "option": 3,
                                                              "after_departure": 2}))
    drafted: dict[tuple[str, str], date] = {}
    for day in _days(date(2020, 2, 25), date(2020, 3, 31)):
        await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", day)
        async with stack.db.session() as session:
            rows = (await session.exec(select(Draft.kind, Booking.reference)
                                       .join(Booking, Booking.id == Draft.booking_id))).all()
        for kind, ref in rows:
            drafted.setdefault((kind, ref), day)
    assert drafted == {("balance", "B1"): date(2020, 2, 29), ("arrival", "B1"): date(2020, 3, 5),
                       ("after_departure", "B1"): date(2020, 3, 29), ("option", "O1"): date(2020, 3, 2)}


async def test_a_missed_night_is_caught_up_and_nothing_is_drafted_twice(stack):
    await stack.load(data.organisation(stack.slug, [data.booking("A1", "2020-05-10", "2020-05-17")],
                                       {"arrival": 7}))
    # Due on 03/05; no run on 03/05 or 04/05: the run of 05/05 drafts it, and later runs add nothing.
    for day in (date(2020, 5, 2), date(2020, 5, 5), date(2020, 5, 6), date(2020, 5, 6)):
        await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", day)
    lines = await agency.tab_drafts(stack.db, stack.slug, "mer", "arrival")
    assert [(line.booking.reference, line.draft.due_on) for line in lines] == [("A1", date(2020, 5, 3))]
    draft = lines[0].draft
    assert draft.language == "fr" and draft.subject == "Votre séjour A1 à Villa Les Pins"
    assert "Arrivée le 10/05/2020, départ le 17/05/2020" in draft.body
    assert draft.made_from["arrival"] == "2020-05-10" and draft.made_from["template_language"] == "fr"


async def test_a_draft_is_in_the_guests_language(stack):
    """Its dates in the guest's language and the organisation's region: an English guest of a French
    agency reads 10/05/2020 (en_FR), not the US 5/10/20."""
    await stack.load(data.organisation(stack.slug, [
        data.booking("E1", "2020-05-10", "2020-05-17", guest_language="en"),
        data.booking("X1", "2020-05-10", "2020-05-17", guest_language="it")], {"arrival": 7}))
    await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", date(2020, 5, 3))
    lines = {line.booking.reference: line.draft for line in await agency.tab_drafts(stack.db, stack.slug, "mer",
                                                                                     "arrival")}
    assert lines["E1"].language == "en" and "Arrival 10/05/2020" in lines["E1"].body
    assert lines["X1"].language == "fr"  # no Italian template: the agency's language

