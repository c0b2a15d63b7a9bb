"""Commitment terms of a contract and the dates of their renewal notices. Pure functions of dates,
shared by the nightly inspection, the CLI's forecast and the notice itself, so all three agree.

Conventions:
- a term is [term start, term end): its end is the day the next term begins (the anniversary);
- term k ends at start + k x (term length in months), the day of month clamped to the month's
  length. Always computed from the start date, never by chaining clamped dates: a contract
  starting on 31 January renews on 28/29 February, then on 31 March, not on 28 March;
- without tacit renewal there is only the first term; with it the terms follow each other forever;
- the notice of a term is due `alert_days` before its end, never before the contract starts, and
  only while the term has not ended: a missed day is caught up, an ended term never gets one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Period(StrEnum):
    """Commitment period of a contract; monthly contracts get no renewal notice (seed 000)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    MULTI_YEAR = "multi_year"


MONTHS = {Period.MONTHLY: 1, Period.QUARTERLY: 3, Period.HALF_YEARLY: 6, Period.YEARLY: 12}


def term_months(period: str, years: int | None = None) -> int:
    """Length of one term; a multi-year term lasts `years` years."""
    if period == Period.MULTI_YEAR:
        if not years or years < 2:
            raise ValueError(f"a multi-year period needs years >= 2, got {years!r}")
        return 12 * years
    return MONTHS[Period(period)]


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later (or earlier), clamped to the last day of the target month."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


@dataclass(frozen=True)
class Commitment:
    start: date
    months: int  # length of one term
    tacit_renewal: bool

    @classmethod
    def of(cls, start: date, period: str, years: int | None, tacit_renewal: bool) -> Commitment:
        return cls(start, term_months(period, years), tacit_renewal)

    def term_end(self, k: int) -> date:
        """End of term k (k >= 1)."""
        return add_months(self.start, k * self.months)

    def terms_after(self, day: date) -> Iterator[date]:
        """Ends of the terms not ended on `day` (end > day), in order; finite without tacit renewal."""
        elapsed = (day.year - self.start.year) * 12 + day.month - self.start.month
        k = max(1, elapsed // self.months)  # within one term of the right one; the loops settle it
        while k > 1 and self.term_end(k - 1) > day:
            k -= 1
        while self.term_end(k) <= day:
            k += 1
        if k > 1 and not self.tacit_renewal:
            return
        while True:
            yield self.term_end(k)
            if not self.tacit_renewal:
                return
            k += 1

    def current_term_end(self, day: date) -> date | None:
        """End of the term `day` falls in; None once a contract without tacit renewal has ended."""
        return next(self.terms_after(day), None)


@dataclass(frozen=True)
class Notice:
    term_end: date
    notice_date: date


def notice_date(commitment: Commitment, term_end: date, alert_days: int) -> date:
    return max(term_end - timedelta(days=alert_days), commitment.start)


def notices(commitment: Commitment, alert_days: int, first_day: date, last_day: date) -> list[Notice]:
    """Notices of the terms not ended on `first_day` whose notice date is on or before `last_day`.

    With first_day = last_day = today this is what the inspection sends today, missed days
    included; with a later last_day it is the forecast of the CLI.
    """
    found = []
    for end in commitment.terms_after(first_day):
        when = notice_date(commitment, end, alert_days)
        if when > last_day:
            break
        found.append(Notice(end, when))
    return found


def contract_notices(contract, alert_days: int, first_day: date, last_day: date) -> list[Notice]:
    """`notices` of a contract row (anything with start_date, period, years and tacit_renewal)."""
    commitment = Commitment.of(contract.start_date, contract.period, contract.years, contract.tacit_renewal)
    return notices(commitment, alert_days, first_day, last_day)
