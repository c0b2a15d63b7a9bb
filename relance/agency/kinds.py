"""When each kind of email is due, until when it may be sent, and when it has become pointless.

Before-kinds (balance, arrival, option) are due `delay` days before their date and sendable until that
date (after it the email announces the past). After departure is due `delay` days after departure and
sendable for 14 days after its due date (seed 003: with 7 days, on 31/01/2020 the list holds the
bookings that ended between 10/01 and 24/01/2020). Drafting takes every booking whose due date has come
and whose sendable_until has not passed: a window, so a missed night is caught up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from models import BookingStatus, DraftKind
from relance.i18n import N_

AFTER_DEPARTURE_SENDABLE_DAYS = 14
KINDS = tuple(DraftKind)
# Each kind's tab, a message to translate where it is shown: seed 003's « Rappel solde », « Rappel
# arrivées », « Expiration Options » in French.
TAB_NAMES = {
    DraftKind.BALANCE: N_("Balance reminders"),
    DraftKind.ARRIVAL: N_("Arrival reminders"),
    DraftKind.OPTION: N_("Option expirations"),
    DraftKind.AFTER_DEPARTURE: N_("After departure"),
}
# The booking date each kind counts from.
COUNTS_FROM = {DraftKind.BALANCE: "balance_due_on", DraftKind.ARRIVAL: "arrival",
               DraftKind.OPTION: "option_expires_on", DraftKind.AFTER_DEPARTURE: "departure"}
# The booking status a kind is drafted for.
FOR_STATUS = {DraftKind.BALANCE: BookingStatus.CONFIRMED, DraftKind.ARRIVAL: BookingStatus.CONFIRMED,
              DraftKind.OPTION: BookingStatus.OPTION, DraftKind.AFTER_DEPARTURE: BookingStatus.CONFIRMED}


class Withdrawal:
    """Why an open draft was withdrawn (Draft.reason)."""

    BALANCE_PAID = "balance_paid"
    OPTION_CONFIRMED = "option_confirmed"
    OPTION_LAPSED = "option_lapsed"
    BOOKING_CANCELLED = "booking_cancelled"
    DATES_CHANGED = "dates_changed"


EXPIRED = "past_sendable_until"


def is_after(kind: str) -> bool:
    return kind == DraftKind.AFTER_DEPARTURE


def due_on(kind: str, counts_from: date, delay_days: int) -> date:
    return counts_from + timedelta(days=delay_days if is_after(kind) else -delay_days)


def sendable_until(kind: str, counts_from: date, due: date) -> date:
    return due + timedelta(days=AFTER_DEPARTURE_SENDABLE_DAYS) if is_after(kind) else counts_from


def counts_from_window(kind: str, day: date, delay_days: int) -> tuple[date, date]:
    """The dates a booking's counted-from date lies between (inclusive) for its draft to be listed on `day`."""
    if is_after(kind):
        last = day - timedelta(days=delay_days)
        return last - timedelta(days=AFTER_DEPARTURE_SENDABLE_DAYS), last
    return day, day + timedelta(days=delay_days)


@dataclass(frozen=True)
class BookingFacts:
    """What judging a draft needs of its booking."""

    status: str
    previous_status: str | None  # before the change being reported, when one is
    dates: dict[str, date | None]  # kind -> the date it counts from now
    outstanding: Decimal  # balance still to pay

    def counts_from(self, kind: str) -> date | None:
        return self.dates.get(kind)


def pointless_reason(kind: str, counts_from: date, facts: BookingFacts) -> str | None:
    """Why a draft made for `counts_from` should not be sent any more, or None."""
    if facts.status == BookingStatus.CANCELLED:
        was_option = BookingStatus.OPTION in (facts.previous_status, facts.status) or kind == DraftKind.OPTION
        return Withdrawal.OPTION_LAPSED if was_option else Withdrawal.BOOKING_CANCELLED
    if kind == DraftKind.OPTION and facts.status == BookingStatus.CONFIRMED:
        return Withdrawal.OPTION_CONFIRMED
    if kind == DraftKind.BALANCE and facts.outstanding <= 0:
        return Withdrawal.BALANCE_PAID
    if facts.counts_from(kind) != counts_from:
        return Withdrawal.DATES_CHANGED
    return None
