"""The agency section of the import file: a booking that cannot be is refused with its record and field,
every problem at once, and nothing of the file is written."""

import pytest
from sqlmodel import select

from models import Agency, Booking
from relance.importing.importer import ImportRejected
from tests.agency import data


async def test_impossible_bookings_are_refused_with_their_field_and_nothing_is_written(stack):
    bookings = [data.booking("OK1", "2030-05-10", "2030-05-17"),
                data.booking("BAD1", "2030-05-10", "2030-05-09"),
                data.booking("BAD2", "2030-05-10", "2030-05-17", status="option"),
                data.booking("BAD3", "2030-05-10", "2030-05-17", balance_amount="10.00", balance_due_on="2030-05-18"),
                data.booking("BAD4", "2030-05-10", "2030-05-17", property="NOPE")]
    organisation = data.organisation(stack.slug, bookings, send_window=["18:00", "09:00"])
    organisation["agencies"][0]["kinds"]["arrival"] = {"delay_days": 7, "templates": {
        "fr": {"subject": "[[!ARRIVEE]]", "body": "x"}}}
    with pytest.raises(ImportRejected) as refused:
        await stack.load(organisation)
    problems = "\n".join(refused.value.problems)
    where = f"organisation {stack.slug!r} › agency 'mer'"
    for expected in (f"{where} › booking 'BAD1' › departure: 2030-05-09 is before the arrival (2030-05-10)",
                     f"{where} › booking 'BAD2' › option_expires_on: an option needs the date it expires",
                     f"{where} › booking 'BAD3' › balance_due_on: 2030-05-18 is after the departure (2030-05-17)",
                     f"{where} › booking 'BAD4' › property: unknown property 'NOPE'",
                     f"{where} › kinds › arrival › templates › fr › subject",
                     f"{where} › send_window: opens at 18:00:00 but closes at 09:00:00"):
        assert expected in problems, problems
    async with stack.db.session() as session:
        assert (await session.exec(select(Agency))).all() == []
        assert (await session.exec(select(Booking))).all() == []


async def test_a_bad_address_is_named_by_its_booking_and_field(stack):
    organisation = data.organisation(stack.slug, [data.booking("B1", "2030-05-10", "2030-05-17",
                                                               guest_email="not an address")])
    with pytest.raises(ImportRejected) as refused:
        await stack.load(organisation)
    [problem] = refused.value.problems
    assert "agencies[0] 'mer' › bookings[0] 'B1' › guest_email: Value error, invalid email address" in problem
