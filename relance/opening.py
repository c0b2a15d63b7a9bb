"""An organisation's send windows as relance.calendar sees them: weekdays and public holidays, with
the defaults a user expects (Monday to Friday; the holidays of the locale's country)."""

from __future__ import annotations

from models import Organisation
from relance import calendar


def holidays_of(org: Organisation) -> tuple[str | None, str | None]:
    """(country, subdivision) whose public holidays close the organisation's windows; None for none."""
    if org.holiday_country == "":
        return None, None
    return org.holiday_country or calendar.default_country(org.locale), org.holiday_subdivision


def weekdays_of(org: Organisation, step_weekdays: str | None = None) -> tuple[int, ...]:
    return calendar.parse_weekdays(step_weekdays or org.send_weekdays)
