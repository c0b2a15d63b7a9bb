"""The day's summary as an email to one staff member: drafts waiting per tab, those expiring soon."""

from __future__ import annotations

from models import AgencyStaff
from relance.agency.views import DaySummary
from relance.email.mailer import OutgoingEmail
from relance.email.rendering import day, html_of, single_line

TAB_NAMES = {"balance": "Balance reminders", "arrival": "Arrival reminders", "option": "Option expirations",
             "after_departure": "After departure"}


def summary_email(summary: DaySummary, person: AgencyStaff, locale: str) -> OutgoingEmail:
    agency = summary.agency
    lines = [f"Hello {person.name},", "",
             f"{summary.total_waiting} email(s) wait in the outbox of {agency.name} on {day(summary.today, locale)}:"]
    lines += [f"  - {TAB_NAMES.get(kind, kind)}: {n}" for kind, n in summary.waiting.items()]
    if summary.expiring_soon:
        lines += ["", f"{summary.expiring_soon} expire(s) within two days if not sent."]
    text = "\n".join(lines)
    subject = single_line(f"{agency.name}: {summary.total_waiting} email(s) to send today")
    return OutgoingEmail(agency.sender_email, agency.from_name, person.email, subject, text,
                         html_of(text))
