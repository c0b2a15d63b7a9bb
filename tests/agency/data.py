"""An organisation with one agency, as the import file gives it, for the agency tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from starter import agency

SENDER = "resa@mer.example"
# The tests send at whatever hour they run: their agencies' send window is open all day (the window
# itself is tested with one that is closed).
ALL_DAY = ["00:00", "23:59:59"]
TEMPLATES = {
    "fr": {"subject": "Votre séjour [[!BOOKINGREF]] à [[!PROPERTY]]",
           "body": "Bonjour [[!GUESTNAME]],\nArrivée le [[!ARRIVAL]], départ le [[!DEPARTURE]]. Solde : [[!BALANCE]] "
                   "avant le [[!BALANCEDUE]]. Option jusqu'au [[!OPTIONEXPIRY]].\n[[!AGENCY]]"},
    "en": {"subject": "Your stay [[!BOOKINGREF]] at [[!PROPERTY]]",
           "body": "Hello [[!GUESTNAME]],\nArrival [[!ARRIVAL]], departure [[!DEPARTURE]].\n[[!AGENCY]]"},
}


def window_closed_at(*moments: datetime, tz: str = "Europe/Paris") -> tuple[time, time]:
    """A one-hour send window, in the agency's zone, closed at each of `moments`: it opens on the first
    whole hour none of them falls in."""
    hours = {moment.astimezone(ZoneInfo(tz)).hour for moment in moments}
    start = next(hour for hour in range(23) if hour not in hours)
    return time(start), time(start + 1)


def kinds(delays: dict[str, int]) -> dict:
    return {kind: {"enabled": True, "delay_days": delay, "templates": TEMPLATES} for kind, delay in delays.items()}


def booking(ref: str, arrival: date | str, departure: date | str, **fields) -> dict:
    def text(value):
        return value.isoformat() if isinstance(value, date) else value

    return {"reference": ref, "property": "P1", "guest_name": f"Guest {ref}",
            "guest_email": f"{ref.lower()}@guest.example", "arrival": text(arrival), "departure": text(departure),
            **{k: text(v) for k, v in fields.items()}}


def organisation(slug: str, bookings: list[dict], delays: dict[str, int] | None = None, agency: str = "mer",
                 **agency_fields) -> dict:
    return {"slug": slug, "name": "Locations", "agencies": [{
        "slug": agency, "name": "Agence de la Mer", "sender_email": SENDER, "timezone": "Europe/Paris",
        "send_window": ALL_DAY,
        "staff": [{"email": "staff@mer.example", "name": "Anne", "morning_summary": True},
                  {"email": "other@mer.example", "name": "Paul"}],
        "properties": [{"ref": "P1", "name": "Villa Les Pins"}],
        "kinds": kinds(delays or {"after_departure": 7}), "bookings": bookings, **agency_fields}]}


def stays_ending(first: date, last: date) -> list[dict]:
    """One confirmed booking per departure day, reference D<yyyymmdd>."""
    days = (last - first).days + 1
    return [booking(f"D{(first + timedelta(days=n)):%Y%m%d}", first + timedelta(days=n - 5), first + timedelta(days=n))
            for n in range(days)]


async def draft_today(stack, day: date | None = None):
    """Run the agency's drafting (today in its zone, or `day`)."""
    return await agency.draft_day(stack.client, stack.task_queue, stack.slug, "mer", day)
