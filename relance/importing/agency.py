"""The agency section of the import file (and the host's booking reports): checks that name the record and
field, and the writes. A booking that cannot be (departure before arrival, an option without expiry, a
balance due after departure, an unknown property) is refused whole: nothing is written."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Agency,
    AgencyKindSetting,
    AgencyStaff,
    AgencyTemplate,
    Booking,
    BookingPayment,
    Organisation,
    Property,
)
from relance import limits
from relance.email.rendering import template_problems
from relance.importing.format import AgencyIn, BookingIn
from relance.importing.references import unknown
from relance.importing.rows import named, upsert
from relance.importing.stored import StoredAgency


def booking_problems(at: str, b: BookingIn, properties: Container[str], today: date, currency: str) -> list[str]:
    """Everything wrong with one booking, each naming its field (`at` names the booking)."""
    problems = unknown(at, "property", b.property, properties) + _amount_problems(at, b, currency)
    arrival, departure = b.arrival.resolve(today), b.departure.resolve(today)
    if departure < arrival:
        problems.append(f"{at} › departure: {departure} is before the arrival ({arrival})")
    if b.status == "option" and b.option_expires_on is None:
        problems.append(f"{at} › option_expires_on: an option needs the date it expires")
    if b.balance_due_on is not None and b.balance_due_on.resolve(today) > departure:
        problems.append(f"{at} › balance_due_on: {b.balance_due_on.resolve(today)} is after the departure "
                        f"({departure})")
    if b.balance_amount > 0 and b.balance_due_on is None:
        problems.append(f"{at} › balance_due_on: a balance needs its due date")
    refs = [p.ref for p in b.payments]
    problems += [f"{at} › payments: payment {ref!r} appears twice" for ref in sorted(set(refs)) if refs.count(ref) > 1]
    return problems


def _amount_problems(at: str, b: BookingIn, currency: str) -> list[str]:
    """The balance and the payments within the columns and the currency's decimals: refused, never rounded."""
    problems = []
    for name, amount, positive in [("balance_amount", b.balance_amount, False),
                                   *((f"payment {p.ref!r} › amount", p.amount, True) for p in b.payments)]:
        try:
            limits.check_amount(amount, currency, positive=positive)
        except ValueError as exc:
            problems.append(f"{at} › {name}: {exc}")
    return problems


def agency_problems(where: str, a: AgencyIn, fields: Mapping[str, str], today: date, currency: str,
                    stored: StoredAgency | None = None) -> list[str]:
    """Every problem of an agency's section, as it will be with what it has stored: its bookings may
    name the stored properties, a kind switched on may have its templates stored."""
    stored = stored or StoredAgency()
    at = f"{where} › agency {a.slug!r}"
    problems = []
    if a.send_window[0] >= a.send_window[1]:
        problems.append(f"{at} › send_window: opens at {a.send_window[0]} but closes at {a.send_window[1]}")
    for kind, setting in a.kinds.items():
        enabled = setting.enabled if "enabled" in setting.model_fields_set else stored.kinds.get(kind, setting.enabled)
        if enabled and not setting.templates and kind not in stored.templated:
            problems.append(f"{at} › kinds › {kind} › templates: an enabled kind needs a template")
        for language, t in setting.templates.items():
            problems += [f"{at} › kinds › {kind} › templates › {language} › {p}"
                         for p in template_problems(t.subject, t.body, fields)]
    properties = {p.ref for p in a.properties} | set(stored.properties)
    for name, keys in (("properties", [p.ref for p in a.properties]), ("bookings", [b.reference for b in a.bookings]),
                       ("staff", [s.email for s in a.staff])):
        problems += [f"{at} › {name}: {key!r} appears twice" for key in sorted(set(keys)) if keys.count(key) > 1]
    for b in a.bookings:
        problems += booking_problems(f"{at} › booking {b.reference!r}", b, properties, today, currency)
    return problems


@dataclass
class BookingWrite:
    """A booking written: created, changed (with its status before), or as it was."""

    booking: Booking
    outcome: str | None  # created | changed | None
    previous_status: str | None = None


@dataclass
class AgencyWrite:
    agency: Agency
    bookings: list[BookingWrite] = field(default_factory=list)


async def write_agency(session: AsyncSession, org: Organisation, a: AgencyIn, today: date,
                       stored_properties: Mapping[str, int]) -> AgencyWrite:
    """What the file names is written; a field left out keeps its stored value."""
    agency, _ = await upsert(session, Agency, {"org_id": org.id, "slug": a.slug}, dict(
        name=a.name, timezone=a.timezone, language=a.language, send_window_start=a.send_window[0],
        send_window_end=a.send_window[1], sender_email=a.sender_email, sender_name=a.sender_name),
        named(a, {"send_window": ("send_window_start", "send_window_end")}))
    for s in a.staff:
        await upsert(session, AgencyStaff, {"agency_id": agency.id, "email": s.email.lower()},
                     dict(org_id=org.id, name=s.name, wants_morning_summary=s.morning_summary),
                     named(s, {"morning_summary": ("wants_morning_summary",)}))
    for kind, setting in a.kinds.items():
        await upsert(session, AgencyKindSetting, {"agency_id": agency.id, "kind": kind},
                     dict(enabled=setting.enabled, delay_days=setting.delay_days), named(setting))
        for language, t in setting.templates.items():
            await upsert(session, AgencyTemplate, {"agency_id": agency.id, "kind": kind, "language": language},
                          dict(subject=t.subject, body=t.body))
    properties = dict(stored_properties)
    for p in a.properties:
        row, _ = await upsert(session, Property, {"agency_id": agency.id, "ref": p.ref},
                              dict(org_id=org.id, name=p.name))
        properties[p.ref] = row.id
    written = AgencyWrite(agency)
    for b in a.bookings:
        written.bookings.append(await write_booking(session, org, agency, properties[b.property], b, today))
    return written


async def write_booking(session: AsyncSession, org: Organisation, agency: Agency, property_id: int, b: BookingIn,
                        today: date) -> BookingWrite:
    """Write one checked booking and its payments (payments are added, never removed); a field left out
    keeps its stored value."""
    before = (await session.exec(select(Booking.status).where(Booking.agency_id == agency.id,
                                                              Booking.reference == b.reference))).first()
    booking, outcome = await upsert(session, Booking, {"agency_id": agency.id, "reference": b.reference}, dict(
        org_id=org.id, property_id=property_id, guest_name=b.guest_name, guest_email=b.guest_email,
        guest_language=b.guest_language, arrival=b.arrival.resolve(today), departure=b.departure.resolve(today),
        status=b.status, option_expires_on=b.option_expires_on.resolve(today) if b.option_expires_on else None,
        balance_amount=b.balance_amount, balance_due_on=b.balance_due_on.resolve(today) if b.balance_due_on else None),
        named(b, {"property": ("property_id",)}) | {"org_id"})
    for p in b.payments:
        _, paid = await upsert(session, BookingPayment, {"booking_id": booking.id, "ref": p.ref},
                                dict(amount=p.amount, paid_on=p.paid_on.resolve(today)))
        outcome = outcome or ("changed" if paid else None)
    return BookingWrite(booking, outcome, before)
