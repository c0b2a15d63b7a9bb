"""The merge fields of an agency's templates, and their values for one booking in the guest's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models import Agency, Booking, Property
from relance import i18n
from relance.email.rendering import day, money

FIELDS = {
    "GUESTNAME": "the guest's name",
    "BOOKINGREF": "the booking's reference",
    "PROPERTY": "the property's name",
    "ARRIVAL": "the arrival date",
    "DEPARTURE": "the departure date",
    "BALANCE": "the balance still to pay",
    "BALANCEDUE": "the balance's due date",
    "OPTIONEXPIRY": "the date the option expires",
    "AGENCY": "the agency's name",
    "NOW": "the draft's date",
}


def values(booking: Booking, prop: Property, agency: Agency, outstanding: Decimal, currency: str, language: str,
           today: date, org_locale: str) -> dict[str, str]:
    """Dates and amounts in the guest's language and the organisation's region: an English-speaking
    guest of a French agency reads 09/12/2026 (en_FR), not the US 12/9/26."""
    loc = i18n.reading_locale(language, org_locale)

    def when(value: date | None) -> str:
        return day(value, loc) if value else ""

    return {"GUESTNAME": booking.guest_name, "BOOKINGREF": booking.reference, "PROPERTY": prop.name,
            "ARRIVAL": when(booking.arrival), "DEPARTURE": when(booking.departure),
            "BALANCE": money(outstanding, currency, loc), "BALANCEDUE": when(booking.balance_due_on),
            "OPTIONEXPIRY": when(booking.option_expires_on), "AGENCY": agency.name, "NOW": when(today)}
